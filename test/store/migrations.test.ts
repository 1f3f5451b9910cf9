import { cpSync, mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultMigrationsDir, migrate, openDb } from '../../src/store/db.js';
import { StopgapError } from '../../src/errors.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'stopgap-mig-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('migrations', () => {
  it('applies every migration once, in order, recording name and checksum', () => {
    const db = openDb(join(tempDir(), 'a.db'));
    const first = migrate(db);
    expect(first.applied[0]).toBe('001_init.sql');
    expect(first.applied).toEqual([...first.applied].sort());
    const second = migrate(db);
    expect(second.applied).toEqual([]);
    expect(second.alreadyApplied).toBe(first.applied.length);
    const rows = db.prepare('SELECT name, checksum FROM schema_migrations ORDER BY name').all() as { name: string; checksum: string }[];
    expect(rows.map((r) => r.name)).toEqual(first.applied);
    for (const r of rows) expect(r.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    db.close();
  });

  it('creates the database directory when it does not exist', () => {
    const path = join(tempDir(), 'nested', 'deeper', 'stopgap.db');
    const db = openDb(path);
    migrate(db);
    db.close();
  });

  it('refuses to start when an applied migration file was edited, naming it', () => {
    const root = tempDir();
    const migrations = join(root, 'migrations');
    cpSync(defaultMigrationsDir(), migrations, { recursive: true });
    const db = openDb(join(root, 'a.db'));
    migrate(db, migrations);
    appendFileSync(join(migrations, '001_init.sql'), '\n-- edited later\n');
    let error: unknown;
    try {
      migrate(db, migrations);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StopgapError);
    expect((error as StopgapError).code).toBe('migration_checksum_mismatch');
    expect((error as StopgapError).message).toContain('001_init.sql');
    expect((error as StopgapError).message).toContain('new migration');
    db.close();
  });

  it('refuses to start when an applied migration file is missing', () => {
    const root = tempDir();
    const migrations = join(root, 'migrations');
    cpSync(defaultMigrationsDir(), migrations, { recursive: true });
    writeFileSync(join(migrations, '900_extra.sql'), 'CREATE TABLE extra (id INTEGER);');
    const db = openDb(join(root, 'a.db'));
    migrate(db, migrations);
    rmSync(join(migrations, '900_extra.sql'));
    expect(() => migrate(db, migrations)).toThrow(/900_extra\.sql.*missing/);
    db.close();
  });

  it('refuses a misnamed migration instead of skipping it', () => {
    const root = tempDir();
    const migrations = join(root, 'migrations');
    cpSync(defaultMigrationsDir(), migrations, { recursive: true });
    writeFileSync(join(migrations, '003_Add-Index.sql'), 'CREATE INDEX x ON changes (actor);');
    const db = openDb(join(root, 'a.db'));
    expect(() => migrate(db, migrations)).toThrow(/003_Add-Index\.sql .*not named NNN_lower_snake_case\.sql/);
    db.close();
  });

  it('rolls back a failing migration entirely and reports it', () => {
    const root = tempDir();
    const migrations = join(root, 'migrations');
    cpSync(defaultMigrationsDir(), migrations, { recursive: true });
    writeFileSync(join(migrations, '901_broken.sql'), 'CREATE TABLE half (id INTEGER); INSERT INTO nowhere VALUES (1);');
    const db = openDb(join(root, 'a.db'));
    expect(() => migrate(db, migrations)).toThrow(/901_broken\.sql failed/);
    const half = db.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").get();
    expect(half).toBeUndefined();
    const recorded = db.prepare("SELECT name FROM schema_migrations WHERE name = '901_broken.sql'").get();
    expect(recorded).toBeUndefined();
    db.close();
  });
});
