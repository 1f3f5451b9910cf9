import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openDb, openMigratedDb } from '../../src/store/db.js';
import { LedgerStore } from '../../src/store/ledger-store.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'stopgap-perm-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const modeOf = (path: string) => statSync(path).mode & 0o777;

/** Runs `fn` under `mask`: the modes must not depend on the umask the service was started with. */
function withUmask<T>(mask: number, fn: () => T): T {
  const saved = process.umask(mask);
  try {
    return fn();
  } finally {
    process.umask(saved);
  }
}

function logOne(path: string): void {
  const db = openMigratedDb(path);
  try {
    new LedgerStore(db).create({ description: 'scaled deploy/payments-api to 12', actor: 'U0ALICE' }, { now: new Date(), defaultDueDays: 7 });
    // -wal and -shm exist only while a connection is open; look at them before closing.
    for (const f of [path, `${path}-wal`, `${path}-shm`]) expect({ f, mode: modeOf(f) }).toEqual({ f, mode: 0o600 });
  } finally {
    db.close();
  }
}

describe('database file permissions', () => {
  it('creates the directory 0700 and the database, -wal and -shm 0600 even under umask 000', () => {
    const root = tempDir();
    const path = join(root, 'data', 'stopgap', 'stopgap.db');
    withUmask(0o000, () => logOne(path));
    expect(modeOf(join(root, 'data'))).toBe(0o700);
    expect(modeOf(join(root, 'data', 'stopgap'))).toBe(0o700);
  });

  it('makes the files exactly 0600 under a umask that would leave them unreadable to the owner', () => {
    const path = join(tempDir(), 'db', 'stopgap.db');
    withUmask(0o277, () => logOne(path));
    expect(modeOf(join(path, '..'))).toBe(0o700);
  });

  it('tightens an existing world-readable database and its -wal and -shm at open', () => {
    const path = join(tempDir(), 'stopgap.db');
    // A database as an older version left it: created by SQLite with the default mode, still open
    // elsewhere so that its -wal and -shm exist.
    const older = new Database(path);
    older.pragma('journal_mode = WAL');
    older.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    for (const f of [path, `${path}-wal`, `${path}-shm`]) chmodSync(f, 0o644);
    try {
      const db = openDb(path);
      for (const f of [path, `${path}-wal`, `${path}-shm`]) expect({ f, mode: modeOf(f) }).toEqual({ f, mode: 0o600 });
      db.close();
    } finally {
      older.close();
    }
  });

  it("leaves the mode of a directory the operator created alone", () => {
    const dir = join(tempDir(), 'shared');
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    logOne(join(dir, 'stopgap.db'));
    expect(modeOf(dir)).toBe(0o755);
  });
});
