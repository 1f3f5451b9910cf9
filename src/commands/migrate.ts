import { loadConfig } from '../config/config.js';
import { DEFAULT_DB_PATH } from '../config/defaults.js';
import { migrate, openDb } from '../store/db.js';
import type { ArgsSpec } from './args.js';
import { HELP_OPTION, parseCommandLine } from './args.js';
import type { CliIo, Command } from './io.js';
import { reportFailure, writeLine } from './io.js';

export const MIGRATE_HELP = `Usage: stopgap migrate

Creates the database at STOPGAP_DB (default ${DEFAULT_DB_PATH}) if there is none, and applies the
migrations it lacks. Running it again on an up-to-date database changes nothing.
Exit status: 0 done, 2 error (an unusable path, a migration that changed after it was applied).`;

/** The command line `stopgap migrate` accepts: nothing but --help. */
const MIGRATE_ARGS = { options: { help: HELP_OPTION } } satisfies ArgsSpec;

export async function runMigrate(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine('migrate', MIGRATE_HELP, MIGRATE_ARGS, argv, io);
  if (typeof parsed === 'number') return parsed;
  try {
    const config = loadConfig(io.env);
    const db = openDb(config.dbPath);
    try {
      const report = migrate(db);
      writeLine(
        io.stdout,
        report.applied.length
          ? `Applied ${report.applied.join(', ')} to ${config.dbPath}`
          : `${config.dbPath} is up to date (${report.alreadyApplied} migrations applied)`,
      );
    } finally {
      db.close();
    }
    return 0;
  } catch (err) {
    return reportFailure(io, 'migrate', err);
  }
}

export const command: Command = { help: MIGRATE_HELP, run: runMigrate };
