import { existsSync } from 'node:fs';
import { loadConfig } from '../config/config.js';
import { DEFAULT_DB_PATH } from '../config/defaults.js';
import { checkBackup, databaseInUse, restoreDatabase } from '../store/backup.js';
import type { ArgsSpec } from './args.js';
import { HELP_OPTION, parseCommandLine, usageError } from './args.js';
import type { CliIo, Command } from './io.js';
import { reportFailure, writeLine } from './io.js';

export const RESTORE_HELP = `Usage: stopgap restore FILE

Replaces the database at STOPGAP_DB (default ${DEFAULT_DB_PATH}) with FILE, a copy stopgap backup wrote.
Stop serve first: restore refuses while another process has the database open.
Before anything is replaced, FILE must pass SQLite's integrity check and stopgap verify's check of the
ledger's hash chain, and must not come from a newer Stopgap (migrations this version does not know);
an older one is upgraded when serve or stopgap migrate next opens it.
The database it replaces is kept beside it as STOPGAP_DB.replaced-TIME (owner-only, 0600, like the
database and the restored copy).
Exit status: 0 restored, 1 FILE failed a check (nothing replaced), 2 error (no such FILE, not a
Stopgap database, the database in use).`;

const RESTORE_ARGS = { options: { help: HELP_OPTION }, allowPositionals: true } satisfies ArgsSpec;

/** `2026-12-01T19-30-05Z`: a time that sorts and fits in a file name. */
function fileTime(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

export async function runRestore(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine('restore', RESTORE_HELP, RESTORE_ARGS, argv, io);
  if (typeof parsed === 'number') return parsed;
  const [file, extra] = parsed.positionals;
  if (file === undefined) return usageError(io, 'restore', 'give the backup file to restore');
  if (extra !== undefined) return usageError(io, 'restore', `unexpected argument '${extra}'`);
  try {
    const config = loadConfig(io.env);
    if (config.dbPath === ':memory:') return usageError(io, 'restore', 'STOPGAP_DB is :memory:; there is no database file to restore into');
    if (!existsSync(file)) {
      writeLine(io.stderr, `stopgap restore: no such file ${file}`);
      return 2;
    }
    const check = checkBackup(file);
    const refusals = [
      ...check.integrity.map((p) => `SQLite's integrity check: ${p}`),
      ...check.report.problems.map((p) => `ledger: ${p.message}`),
      ...(check.unknownMigrations.length > 0 ? [`written by a newer Stopgap (migrations ${check.unknownMigrations.join(', ')}): restore it with that version`] : []),
    ];
    if (refusals.length > 0) {
      writeLine(io.stdout, `Not restored: ${file} failed its checks; ${config.dbPath} is unchanged.`);
      for (const r of refusals) writeLine(io.stdout, `  - ${r}`);
      return 1;
    }
    if (databaseInUse(config.dbPath)) {
      writeLine(io.stderr, `stopgap restore: ${config.dbPath} is open in another process (is serve running?); stop it, then restore. Nothing was replaced.`);
      return 2;
    }
    const r = await restoreDatabase(file, config.dbPath, `${config.dbPath}.replaced-${fileTime(new Date())}`);
    writeLine(io.stdout, `Restored ${config.dbPath} from ${file}: ${r.changes} changes, ${r.events} events, hash chain intact.`);
    writeLine(io.stdout, r.keptAs ? `The database it replaced is kept as ${r.keptAs}.` : 'There was no database there before.');
    return 0;
  } catch (err) {
    return reportFailure(io, 'restore', err);
  }
}

export const command: Command = { help: RESTORE_HELP, run: runRestore };
