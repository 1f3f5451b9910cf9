import { loadConfig } from '../config/config.js';
import { DEFAULT_DB_PATH } from '../config/defaults.js';
import { backupDatabase } from '../store/backup.js';
import type { ArgsSpec } from './args.js';
import { HELP_OPTION, parseCommandLine, usageError } from './args.js';
import type { CliIo, Command } from './io.js';
import { reportFailure, writeLine } from './io.js';

export const BACKUP_HELP = `Usage: stopgap backup FILE [--force]

Copies the database at STOPGAP_DB (default ${DEFAULT_DB_PATH}) to FILE with SQLite's online backup:
one consistent snapshot, taken while serve keeps running and writing. FILE is written owner-only
(0600) like the database, since it holds the Secret fingerprint key, and is one self-contained file.
The copy's ledger is checked (as stopgap verify does) and its figures printed.
--force replaces an existing FILE (only once the new copy is complete); without it, an existing FILE
is an error.
Exit status: 0 done, 1 the copy's ledger does not verify (the copy is kept: the database itself is
affected), 2 error (no database, FILE exists, an unwritable directory).`;

const BACKUP_ARGS = { options: { help: HELP_OPTION, force: { type: 'boolean' } }, allowPositionals: true } satisfies ArgsSpec;

export async function runBackup(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine('backup', BACKUP_HELP, BACKUP_ARGS, argv, io);
  if (typeof parsed === 'number') return parsed;
  const [file, extra] = parsed.positionals;
  if (file === undefined) return usageError(io, 'backup', 'give the file to write the backup to');
  if (extra !== undefined) return usageError(io, 'backup', `unexpected argument '${extra}'`);
  try {
    const config = loadConfig(io.env);
    if (config.dbPath === ':memory:') return usageError(io, 'backup', 'STOPGAP_DB is :memory:; there is no database file to back up');
    const started = Date.now();
    const r = await backupDatabase(config.dbPath, file, { force: parsed.values.force === true });
    const what = `${config.dbPath} to ${r.file}: ${r.changes} changes, ${r.events} events, ${(r.bytes / 1024).toFixed(0)} KiB in ${Date.now() - started} ms`;
    if (r.problems > 0) {
      writeLine(io.stdout, `Backed up ${what}, but its ledger does NOT verify (${r.problems} problem${r.problems === 1 ? '' : 's'}): run 'stopgap verify' on the database.`);
      return 1;
    }
    writeLine(io.stdout, `Backed up ${what}; the ledger in the copy verifies.`);
    return 0;
  } catch (err) {
    return reportFailure(io, 'backup', err);
  }
}

export const command: Command = { help: BACKUP_HELP, run: runBackup };
