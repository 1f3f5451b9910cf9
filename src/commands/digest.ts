import { loadConfig } from '../config/config.js';
import { DEFAULT_DB_PATH } from '../config/defaults.js';
import { parseIsoTimestamp } from '../ledger/dates.js';
import { StopgapError } from '../errors.js';
import { messageAsText } from '../slack/views/plain-text.js';
import { digestMessage } from '../slack/views/digest.js';
import { openExistingLedger } from '../store/db.js';
import { DigestStore } from '../store/digest-store.js';
import type { ArgsSpec } from './args.js';
import { HELP_OPTION, parseCommandLine, usageError } from './args.js';
import type { CliIo, Command } from './io.js';
import { reportFailure, writeLine } from './io.js';

export const DIGEST_HELP = `Usage: stopgap digest --print [--team NAME] [--json] [--at ISO-TIME]

Prints the weekly digest of unreconciled changes from the ledger at STOPGAP_DB (default
${DEFAULT_DB_PATH}) without sending it: everyone's, or one team's from stopgap.yml (--team). --at
shows it as it stood at that moment (an ISO date-time with a zone); the default is now.
--json prints the figures for scripts:
  at, team (null: everyone), open { total, byStatus { open, in_review }, byAge { underOneWeek,
  oneToFourWeeks, oneToThreeMonths, older } }, overdue, oldest [{ id, owner, cluster, resources,
  ageDays, driftLive, overdue }], thisWeek { new, reconciled, verified, dismissed }, unclaimedDrift,
  medianDaysToReconcile { last30, last90 }, perOwner, perTeam, deltas { open, overdue, new,
  reconciled, dismissed }, ledgerHead { seq, hash }.
  "open" counts open and in_review; overdue is open, past due and not snoozed; the median counts
  verified and unverified closings (codified or reverted), from logging to closing, in days.
Reads only. Exit status: 0 printed, 2 error (no such database, an unknown team, a bad time).`;

const DIGEST_ARGS = {
  options: { help: HELP_OPTION, print: { type: 'boolean' }, json: { type: 'boolean' }, team: { type: 'string' }, at: { type: 'string' } },
} satisfies ArgsSpec;

export async function runDigest(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine('digest', DIGEST_HELP, DIGEST_ARGS, argv, io);
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  if (!values.print) return usageError(io, 'digest', 'say --print: the digest is sent by serve on its schedule; this prints it');
  let at = new Date();
  if (values.at !== undefined) {
    const t = parseIsoTimestamp(values.at);
    if (!t) return usageError(io, 'digest', `--at '${values.at}' is not a date-time with a zone, e.g. 2026-12-07T09:00:00Z`);
    at = t;
  }
  try {
    const config = loadConfig(io.env);
    const teams = config.file.teams;
    const team = values.team ?? null;
    if (team !== null && !teams.some((t) => t.name === team)) {
      const known = teams.length === 0 ? 'stopgap.yml configures no teams' : `configured: ${teams.map((t) => t.name).join(', ')}`;
      throw new StopgapError('usage', `unknown team '${team}' (${known})`);
    }
    const db = openExistingLedger(config.dbPath);
    try {
      const digest = new DigestStore(db).digest({ at, team, teams });
      writeLine(io.stdout, values.json ? JSON.stringify(digest, null, 2) : messageAsText(digestMessage(digest)));
    } finally {
      db.close();
    }
    return 0;
  } catch (err) {
    return reportFailure(io, 'digest', err);
  }
}

export const command: Command = { help: DIGEST_HELP, run: runDigest };
