/**
 * Backups and restores of the database file. A backup is SQLite's online backup of a consistent
 * snapshot (a read transaction: the bot keeps writing meanwhile, in WAL mode nothing waits), written
 * owner-only beside its final name and moved there only once complete, then switched to a rollback
 * journal so the copy is one self-contained file. A restore checks the copy first (SQLite's own check,
 * the ledger's hash chain, migrations this version knows) and copies it into place with the same API,
 * after keeping a copy of the database it replaces.
 */
import { chmodSync, closeSync, existsSync, linkSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { StopgapError } from '../errors.js';
import type { Db } from './db.js';
import { openDb, readMigrations, defaultMigrationsDir } from './db.js';
import { LedgerStore, type VerifyReport } from './ledger-store.js';

const FILE_MODE = 0o600;
/** Pages per backup step: all of them, so the copy is one snapshot even while another process writes. */
const ALL_PAGES = 0x7fffffff;

export interface BackupReport {
  file: string;
  bytes: number;
  changes: number;
  events: number;
  /** Problems `stopgap verify` would name in the copy (none: its hash chain is intact). */
  problems: number;
}

function hasLedger(db: Db): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'change_events'").get() !== undefined;
}

/** A path next to `file` that nothing else uses: where a copy is written before it is moved into place. */
function scratchBeside(file: string, what: string): string {
  return join(dirname(file), `.${basename(file)}.${what}-${process.pid}-${Date.now()}`);
}

function removeDb(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) rmSync(f, { force: true });
}

/** SQLite's online backup of `from` into `to` (created 0600 first, so it is never readable by others). */
async function copyDatabase(from: Db, to: string): Promise<void> {
  closeSync(openSync(to, 'wx', FILE_MODE));
  await from.backup(to, { progress: () => ALL_PAGES });
  chmodSync(to, FILE_MODE);
}

/** The database at `path`, opened to read without creating anything; a clear error when it is not one. */
export function openExisting(path: string, what: string, opts: { readonly?: boolean } = {}): Db {
  if (!existsSync(path)) throw new StopgapError('usage', `no ${what} at ${path}`);
  let db: Db;
  try {
    db = new Database(path, { fileMustExist: true, readonly: opts.readonly ?? false });
    db.pragma('busy_timeout = 5000');
    db.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (cause) {
    throw new StopgapError('db_open_failed', `${path} is not a SQLite database (${(cause as Error).message})`, { cause });
  }
  if (!hasLedger(db)) {
    db.close();
    throw new StopgapError('db_open_failed', `${path} is a SQLite database but holds no Stopgap ledger`);
  }
  return db;
}

/**
 * Backs up the database at `dbPath` into `file`, consistent while the bot writes. Refuses to replace an
 * existing `file` unless `force`; a failed backup leaves `file` as it was.
 */
export async function backupDatabase(dbPath: string, file: string, opts: { force?: boolean } = {}): Promise<BackupReport> {
  const target = resolve(file);
  if (!opts.force && existsSync(target)) throw new StopgapError('usage', `${file} exists; choose another name, or give --force to replace it`);
  if (!existsSync(dirname(target))) throw new StopgapError('usage', `cannot write ${file}: the directory ${dirname(file)} does not exist`);
  const source = openExisting(dbPath, 'database', { readonly: true });
  const scratch = scratchBeside(target, 'backup');
  try {
    await copyDatabase(source, scratch);
    const copy = new Database(scratch, { fileMustExist: true });
    let report: VerifyReport;
    try {
      // One file, no -wal beside it: what gets copied offsite is the whole backup.
      copy.pragma('journal_mode = DELETE');
      report = new LedgerStore(copy).verify();
    } finally {
      copy.close();
    }
    if (opts.force) renameSync(scratch, target);
    else {
      // link() refuses an existing name: a file that appeared meanwhile is not overwritten either.
      linkSync(scratch, target);
      rmSync(scratch);
    }
    return { file: target, bytes: statSync(target).size, changes: report.changes, events: report.events, problems: report.problems.length };
  } catch (err) {
    removeDb(scratch);
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new StopgapError('usage', `${file} exists; choose another name, or give --force to replace it`);
    throw err;
  } finally {
    source.close();
  }
}

export interface BackupCheck {
  report: VerifyReport;
  /** Migrations the file has that this version does not know: it was written by a newer Stopgap. */
  unknownMigrations: string[];
  integrity: string[];
}

/** What `stopgap restore` checks before it replaces anything: SQLite's integrity, the ledger, the schema. */
export function checkBackup(file: string): BackupCheck {
  const db = openExisting(file, 'backup file', { readonly: true });
  try {
    const integrity = (db.pragma('quick_check', { simple: false }) as { quick_check: string }[]).map((r) => r.quick_check).filter((r) => r !== 'ok');
    const known = new Set(readMigrations(defaultMigrationsDir()).map((m) => m.name));
    const hasMigrations = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get() !== undefined;
    const applied = hasMigrations ? (db.prepare('SELECT name FROM schema_migrations ORDER BY name').pluck().all() as string[]) : [];
    return { report: new LedgerStore(db).verify(), unknownMigrations: applied.filter((m) => !known.has(m)), integrity };
  } finally {
    db.close();
  }
}

/**
 * Whether another process has the database open: a WAL database's `-wal` file is removed by the last
 * connection to close, so one that outlives our own open-and-close has another connection (serve).
 */
export function databaseInUse(dbPath: string): boolean {
  if (!existsSync(dbPath)) return false;
  const db = new Database(dbPath, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    db.prepare('SELECT count(*) FROM sqlite_master').get();
  } finally {
    db.close();
  }
  return existsSync(`${dbPath}-wal`);
}

export interface RestoreReport {
  /** Where the replaced database was kept; absent when there was none. */
  keptAs?: string;
  changes: number;
  events: number;
}

/**
 * Replaces the database at `dbPath` with the checked backup `file`. The replaced database is first
 * copied (online backup, 0600) to `keepAs`; the restored one is written beside the database and moved
 * into place, then opened as serve opens it (0600, WAL).
 */
export async function restoreDatabase(file: string, dbPath: string, keepAs: string): Promise<RestoreReport> {
  const target = resolve(dbPath);
  const source = openExisting(file, 'backup file', { readonly: true });
  const scratch = scratchBeside(target, 'restore');
  let keptAs: string | undefined;
  try {
    if (existsSync(target)) {
      const current = new Database(target, { fileMustExist: true });
      try {
        await copyDatabase(current, keepAs);
        keptAs = keepAs;
      } finally {
        current.close();
      }
    }
    // openDb creates the directory (0700) when there is none; the scratch copy is made there.
    openDb(scratch).close();
    removeDb(scratch);
    await copyDatabase(source, scratch);
    // No -wal or -shm of the old database may outlive it: SQLite would read them as the new one's.
    removeDb(target);
    renameSync(scratch, target);
  } catch (err) {
    removeDb(scratch);
    throw err;
  } finally {
    source.close();
  }
  const db = openDb(target);
  try {
    const report = new LedgerStore(db).verify();
    return { ...(keptAs ? { keptAs } : {}), changes: report.changes, events: report.events };
  } finally {
    db.close();
  }
}
