import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { StopgapError } from '../errors.js';

export type Db = Database.Database;

/** The repository's migrations folder, found relative to this file both from src/ and from dist/src/. */
export function defaultMigrationsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, '..', '..', 'migrations'), join(here, '..', '..', '..', 'migrations')]) {
    try {
      readdirSync(candidate);
      return candidate;
    } catch {
      // try the next layout
    }
  }
  return resolve('migrations');
}

/**
 * Owner-only: the database holds the key that turns Secret values into fingerprints
 * (ensureFingerprintKey in findings-store.ts); anyone who can read it can confirm a guessed Secret.
 */
const DB_FILE_MODE = 0o600;
const DB_DIR_MODE = 0o700;

/**
 * Creates the database's directory (0700) when it is missing and the database file (0600) before
 * SQLite does, and tightens a database, `-wal` or `-shm` file left with a looser mode by an older
 * version. SQLite creates `-wal` and `-shm` lazily with the database file's mode, whatever the umask,
 * so they follow once the main file is 0600.
 *
 * A directory that already exists keeps its mode: the operator chose it (a volume mount, a shared
 * data directory) and the files in it are owner-only anyway.
 */
function secureDbFiles(path: string): void {
  const file = resolve(path);
  const dir = dirname(file);
  if (!existsSync(dir)) {
    const first = mkdirSync(dir, { recursive: true, mode: DB_DIR_MODE });
    // mkdir's mode goes through the umask; set it exactly on every directory this call created.
    if (first !== undefined) {
      for (let d = dir; ; d = dirname(d)) {
        chmodSync(d, DB_DIR_MODE);
        if (d === first || d === dirname(d)) break;
      }
    }
  }
  try {
    closeSync(openSync(file, 'wx', DB_FILE_MODE));
  } catch (err) {
    // Already there (or created concurrently): tightened below like any existing database.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  for (const f of [file, `${file}-wal`, `${file}-shm`]) tighten(f);
}

function tighten(file: string): void {
  try {
    if ((statSync(file).mode & 0o777) !== DB_FILE_MODE) chmodSync(file, DB_FILE_MODE);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // ENOENT: no -wal/-shm yet. EPERM: another user's file (an operator running `stopgap verify` on the
    // service's database); its owner's next start tightens it.
    if (code !== 'ENOENT' && code !== 'EPERM') throw err;
  }
}

export function openDb(path: string): Db {
  if (path !== ':memory:' && path !== '') {
    try {
      secureDbFiles(path);
    } catch (cause) {
      throw new StopgapError(
        'db_open_failed',
        `Cannot create or secure the database at ${path}: ${(cause as Error).message}. Check STOPGAP_DB and the directory's permissions.`,
        { cause },
      );
    }
  }
  let db: Db;
  try {
    db = new Database(path);
  } catch (cause) {
    throw new StopgapError(
      'db_open_failed',
      `Cannot open the database at ${path}: ${(cause as Error).message}. Check STOPGAP_DB and the directory's permissions.`,
      { cause },
    );
  }
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL');
  // Hot index pages of a ledger with 100k+ changes stay in memory (32 MiB; the default is 2 MiB).
  db.pragma('cache_size = -32000');
  return db;
}

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export function readMigrations(dir: string): MigrationFile[] {
  const sql = readdirSync(dir).filter((f) => f.endsWith('.sql'));
  // A misnamed migration would be skipped silently and the schema would drift from the code.
  const misnamed = sql.filter((f) => !/^\d{3}_[a-z0-9_]+\.sql$/.test(f));
  if (misnamed.length > 0) {
    throw new StopgapError(
      'migration_failed',
      `${misnamed.join(', ')} in ${dir} ${misnamed.length === 1 ? 'is' : 'are'} not named NNN_lower_snake_case.sql: rename so it is applied in order`,
    );
  }
  return sql
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

export interface MigrationReport {
  applied: string[];
  alreadyApplied: number;
}

/**
 * Applies pending migrations in order, each in its own transaction. Refuses to run when an applied
 * migration's file changed or disappeared: the schema would no longer be what the code expects.
 */
export function migrate(db: Db, dir: string = defaultMigrationsDir()): MigrationReport {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    name TEXT PRIMARY KEY,
    checksum TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const files = readMigrations(dir);
  const byName = new Map(files.map((f) => [f.name, f]));
  const applied = db.prepare('SELECT name, checksum FROM schema_migrations ORDER BY name').all() as {
    name: string;
    checksum: string;
  }[];
  for (const row of applied) {
    const file = byName.get(row.name);
    if (!file) {
      throw new StopgapError(
        'migration_missing',
        `Migration ${row.name} was applied to this database but its file is missing from ${dir}. Restore the file (migrations are forward-only) or point STOPGAP_DB at the right database.`,
      );
    }
    if (file.checksum !== row.checksum) {
      throw new StopgapError(
        'migration_checksum_mismatch',
        `Migration ${row.name} was changed after it was applied (checksum ${row.checksum.slice(0, 12)} in the database, ${file.checksum.slice(0, 12)} on disk). Restore the original file and put the change in a new migration.`,
      );
    }
  }
  const done = new Set(applied.map((r) => r.name));
  const report: MigrationReport = { applied: [], alreadyApplied: done.size };
  const record = db.prepare('INSERT INTO schema_migrations (name, checksum, applied_at) VALUES (?, ?, ?)');
  for (const file of files) {
    if (done.has(file.name)) continue;
    try {
      db.transaction(() => {
        db.exec(file.sql);
        record.run(file.name, file.checksum, new Date().toISOString());
      })();
    } catch (cause) {
      throw new StopgapError('migration_failed', `Migration ${file.name} failed: ${(cause as Error).message}`, { cause });
    }
    report.applied.push(file.name);
  }
  return report;
}

/**
 * The migrations not yet applied to a database, for commands that only read: they refuse a schema older
 * than the code instead of changing it behind the running bot.
 */
export function pendingMigrations(db: Db, dir: string = defaultMigrationsDir()): string[] {
  const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get() !== undefined;
  const done = new Set(hasTable ? (db.prepare('SELECT name FROM schema_migrations').pluck().all() as string[]) : []);
  return readMigrations(dir)
    .map((f) => f.name)
    .filter((name) => !done.has(name));
}

/**
 * Opens an existing ledger for a command that reads it beside the running bot: refuses, saying what to
 * do, a missing file, a file that holds no ledger, and a schema older than the code.
 */
export function openExistingLedger(path: string): Db {
  if (path === ':memory:' || !existsSync(path)) throw new StopgapError('usage', `no database at ${path}; check STOPGAP_DB`);
  const db = openDb(path);
  try {
    if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'change_events'").get()) {
      throw new StopgapError('usage', `${path} holds no Stopgap ledger; check STOPGAP_DB`);
    }
    const pending = pendingMigrations(db);
    if (pending.length > 0) {
      throw new StopgapError('usage', `${path} was written by an older Stopgap (${pending.length} schema migration${pending.length === 1 ? '' : 's'} not applied, first ${pending[0]}); run \`stopgap migrate\` or start serve once, then try again`);
    }
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Opens a database and brings its schema up to date: what every entry point and test uses. */
export function openMigratedDb(path: string, dir?: string): Db {
  const db = openDb(path);
  migrate(db, dir);
  return db;
}
