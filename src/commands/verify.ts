import { existsSync } from 'node:fs';
import { loadConfig } from '../config/config.js';
import { DEFAULT_DB_PATH } from '../config/defaults.js';
import { openDb } from '../store/db.js';
import { LedgerStore } from '../store/ledger-store.js';
import type { ArgsSpec } from './args.js';
import { HELP_OPTION, parseCommandLine, usageError } from './args.js';
import type { CliIo, Command } from './io.js';
import { reportFailure, writeLine } from './io.js';

export const VERIFY_HELP = `Usage: stopgap verify [--anchor SEQ:HASH]...

Checks the hash-chained event log of the ledger at STOPGAP_DB (default ${DEFAULT_DB_PATH}). Reads
only: never creates or upgrades a database.
--anchor SEQ:HASH (repeatable) also checks that event SEQ still has that hash, as a weekly digest
printed it: the ledger then holds exactly the history it held when that digest was posted. The chain
alone cannot tell a database rewritten whole, with a fresh and consistent chain; an anchor kept
elsewhere (in Slack) can.
Exit status: 0 intact, 1 tampered or an anchor not matched (each named), 2 no such database or no
ledger in it, or an anchor that is not SEQ:HASH.`;

/** The command line `stopgap verify` accepts. */
const VERIFY_ARGS = { options: { help: HELP_OPTION, anchor: { type: 'string', multiple: true } } } satisfies ArgsSpec;

/** `123:` and 64 hex digits, as a digest's footer prints it. */
function parseAnchor(text: string): { seq: number; hash: string } | undefined {
  const m = /^(\d{1,12}):([0-9a-f]{64})$/i.exec(text.trim());
  return m ? { seq: Number(m[1]), hash: (m[2] as string).toLowerCase() } : undefined;
}

export async function runVerify(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine('verify', VERIFY_HELP, VERIFY_ARGS, argv, io);
  if (typeof parsed === 'number') return parsed;
  const anchors: { seq: number; hash: string; text: string }[] = [];
  for (const text of parsed.values.anchor ?? []) {
    const anchor = parseAnchor(text);
    if (!anchor) return usageError(io, 'verify', `--anchor '${text.slice(0, 80)}' is not SEQ:HASH (an event number and its 64-digit hash, as a digest prints them)`);
    anchors.push({ ...anchor, text });
  }
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
      // Anchors: each event must still be there with the hash a digest printed for it.
      let anchorsOk = true;
      for (const a of anchors) {
        const row = db.prepare('SELECT hash FROM change_events WHERE seq = ?').get(a.seq) as { hash: string } | undefined;
        if (row?.hash === a.hash) {
          writeLine(io.stdout, `Anchor ${a.seq}: matches; the ledger holds the history it held then`);
          continue;
        }
        anchorsOk = false;
        writeLine(
          io.stdout,
          row
            ? `Anchor ${a.seq}: NOT matched. Event ${a.seq} now hashes to ${row.hash}, not ${a.hash}: the history up to it was rewritten.`
            : `Anchor ${a.seq}: NOT matched. There is no event ${a.seq} any more: the ledger was cut back or replaced.`,
        );
      }
      if (report.ok && anchorsOk) {
        writeLine(io.stdout, `OK: ${report.events} events over ${report.changes} changes, hash chain intact${anchors.length ? `, ${anchors.length} anchor${anchors.length === 1 ? '' : 's'} matched` : ''}`);
        return 0;
      }
      if (report.ok) {
        writeLine(io.stdout, `TAMPERED: the hash chain is consistent, but it is not the history the anchors recorded. Restore the database from a backup taken before the rewrite.`);
        return 1;
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
