import { existsSync } from 'node:fs';
import { loadConfig } from '../config/config.js';
import { DEFAULT_DB_PATH } from '../config/defaults.js';
import { openDb } from '../store/db.js';
import { LedgerStore } from '../store/ledger-store.js';
import type { ArgsSpec } from './args.js';
import { HELP_OPTION, parseCommandLine } from './args.js';
import type { CliIo, Command } from './io.js';
import { reportFailure, writeLine } from './io.js';

export const VERIFY_HELP = `Usage: stopgap verify

Checks the hash-chained event log of the ledger at STOPGAP_DB (default ${DEFAULT_DB_PATH}). Reads
only: never creates or upgrades a database.
Exit status: 0 intact, 1 tampered (the first bad row is named), 2 no such database or no ledger in it.`;

/** The command line `stopgap verify` accepts: nothing but --help. */
const VERIFY_ARGS = { options: { help: HELP_OPTION } } satisfies ArgsSpec;

export async function runVerify(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine('verify', VERIFY_HELP, VERIFY_ARGS, argv, io);
  if (typeof parsed === 'number') return parsed;
  try {
    const config = loadConfig(io.env);
    // Verifying must not create or upgrade anything: a mistyped STOPGAP_DB is an error, not an empty OK.
    if (config.dbPath === ':memory:' || !existsSync(config.dbPath)) {
      writeLine(io.stderr, `stopgap verify: no database at ${config.dbPath}; check STOPGAP_DB`);
      return 2;
    }
    const db = openDb(config.dbPath);
    try {
      const hasLedger = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'change_events'").get();
      if (!hasLedger) {
        writeLine(io.stderr, `stopgap verify: ${config.dbPath} holds no Stopgap ledger; check STOPGAP_DB or run 'stopgap migrate'`);
        return 2;
      }
      const report = new LedgerStore(db).verify();
      if (report.ok) {
        writeLine(io.stdout, `OK: ${report.events} events over ${report.changes} changes, hash chain intact`);
        return 0;
      }
      const n = report.problems.length;
      writeLine(io.stdout, `TAMPERED: ${n} problem${n === 1 ? '' : 's'} in ${report.events} events over ${report.changes} changes`);
      for (const problem of report.problems) writeLine(io.stdout, `  - ${problem.message}`);
      // Only the chain pins a problem to an event; a row edited or deleted later says nothing of when.
      const firstBad = report.problems
        .filter((p) => p.kind === 'missing' || p.kind === 'tampered' || p.kind === 'truncated' || p.kind === 'past_head')
        .reduce((min, p) => (p.seq > 0 && p.seq < min ? p.seq : min), Infinity);
      if (firstBad !== Infinity) {
        writeLine(io.stdout, `First bad row: event ${firstBad}. Restore the database from a backup taken before it.`);
      } else {
        writeLine(io.stdout, 'Restore the database from a backup taken before the tampering.');
      }
      return 1;
    } finally {
      db.close();
    }
  } catch (err) {
    return reportFailure(io, 'verify', err);
  }
}

export const command: Command = { help: VERIFY_HELP, run: runVerify };
