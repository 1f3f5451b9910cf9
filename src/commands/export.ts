import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { loadConfig } from '../config/config.js';
import { DEFAULT_DB_PATH } from '../config/defaults.js';
import { StopgapError } from '../errors.js';
import { parseIsoDay, parseIsoTimestamp } from '../ledger/dates.js';
import { formatResource, type Change } from '../ledger/model.js';
import { openExistingLedger, type Db } from '../store/db.js';
import { exportedChanges, exportedEvents, readSnapshot, type ExportedEvent } from '../store/export-store.js';
import type { ArgsSpec } from './args.js';
import { HELP_OPTION, parseCommandLine, usageError } from './args.js';
import type { CliIo, Command } from './io.js';
import { reportFailure, writeLine } from './io.js';

export const EXPORT_HELP = `Usage: stopgap export --format csv|json [--since DATE] [--table changes|events] [--out FILE]

Writes the ledger at STOPGAP_DB (default ${DEFAULT_DB_PATH}) for spreadsheets, scripts and archives,
from one snapshot (serve may keep running). Reads only.
--format json  one object: { "exportedAt", "since", "changes": [...], "events": [...] }; a change as
               /fix show knows it (key SG-n, status, owner, resources, dates...), an event with its
               seq, change, type, actor, at, data and hash (the ledger's hash chain).
--format csv   RFC 4180 (a header row, CRLF line ends, fields quoted when they hold a comma, quote or
               line break): one table, --table changes (the default) or --table events. Text
               starting with =, +, -, @ (a spreadsheet formula) is written with a leading ' so a
               spreadsheet shows it instead of running it.
--table        only that table (json: the other array is left out).
--since DATE   changes updated and events recorded at or after DATE: 2026-11-01 (00:00 UTC) or a
               date-time with a zone, 2026-11-01T09:00:00Z.
--out FILE     write FILE (owner-only, 0600) instead of standard output.
Secret values are never in the ledger, so never in an export: descriptions and reasons were redacted
when they were logged, and drift values in events are Secret fingerprints.
Exit status: 0 written, 2 error (a bad DATE or option, no database).`;

const EXPORT_ARGS = {
  options: { help: HELP_OPTION, format: { type: 'string' }, since: { type: 'string' }, table: { type: 'string' }, out: { type: 'string' } },
} satisfies ArgsSpec;

/**
 * RFC 4180: quoted (quotes doubled) when the field holds a comma, a quote or a line break. Text that a
 * spreadsheet would run as a formula (it starts with =, +, -, @, a tab or a carriage return: anyone in
 * Slack can type `/fix =HYPERLINK(...)`) gets a leading apostrophe, so it opens as the text it is.
 */
export function csvField(value: unknown): string {
  const raw = value === null || value === undefined ? '' : typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  const text = typeof value === 'string' && /^[=+\-@\t\r]/.test(raw) ? `'${raw}` : raw;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvRow(fields: readonly unknown[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

const CHANGE_COLUMNS = ['key', 'status', 'verified', 'description', 'actor', 'owner', 'cluster', 'resources', 'incident', 'channel', 'source', 'pr_url', 'reason', 'message_link', 'created_at', 'due_at', 'snoozed_until', 'closed_at', 'updated_at'];
function changeCells(c: Change): unknown[] {
  return [c.key, c.status, c.verified, c.description, c.actor, c.owner, c.cluster, c.resources.map(formatResource).join('; '), c.incident, c.channelId, c.source, c.prUrl, c.reason, c.messageLink, c.createdAt, c.dueAt, c.snoozedUntil, c.closedAt, c.updatedAt];
}
const EVENT_COLUMNS = ['seq', 'change', 'type', 'actor', 'at', 'data', 'hash'];
function eventCells(e: ExportedEvent): unknown[] {
  return [e.seq, e.change, e.type, e.actor, e.at, e.data, e.hash];
}

function exportedChange(c: Change): Record<string, unknown> {
  const { id: _id, key, ...rest } = c;
  return { key, ...rest };
}

function exportedEvent(e: ExportedEvent): Record<string, unknown> {
  const { changeId: _changeId, ...rest } = e;
  return rest;
}

/**
 * Output written in chunks, waiting when the reader is slow; false once the reader has gone (a pipe
 * closed by `| head`), after which the rest is not produced.
 */
function chunkedWriter(stream: Writable): { write(text: string): Promise<boolean>; flush(): Promise<boolean> } {
  let buffered = '';
  const push = async (): Promise<boolean> => {
    if (stream.destroyed || stream.writableEnded || stream.errored) return false;
    const text = buffered;
    buffered = '';
    if (stream.write(text)) return true;
    return new Promise<boolean>((resolve) => {
      const done = (ok: boolean) => () => {
        stream.off('drain', onDrain);
        stream.off('close', onGone);
        stream.off('error', onGone);
        resolve(ok);
      };
      const onDrain = done(true);
      const onGone = done(false);
      stream.once('drain', onDrain);
      stream.once('close', onGone);
      stream.once('error', onGone);
    });
  };
  return {
    async write(text) {
      buffered += text;
      return buffered.length >= 64 * 1024 ? push() : true;
    },
    flush: () => (buffered ? push() : Promise.resolve(!stream.destroyed)),
  };
}

type Table = 'changes' | 'events';

async function writeExport(out: ReturnType<typeof chunkedWriter>, db: Db, opts: { format: 'csv' | 'json'; tables: Table[]; since?: Date }): Promise<{ changes: number; events: number; complete: boolean }> {
  const counts = { changes: 0, events: 0, complete: false };
  const { format, tables, since } = opts;
  if (format === 'csv') {
    const table = tables[0] as Table;
    if (!(await out.write(csvRow(table === 'changes' ? CHANGE_COLUMNS : EVENT_COLUMNS)))) return counts;
    if (table === 'changes') {
      for (const c of exportedChanges(db, since)) {
        counts.changes += 1;
        if (!(await out.write(csvRow(changeCells(c))))) return counts;
      }
    } else {
      for (const e of exportedEvents(db, since)) {
        counts.events += 1;
        if (!(await out.write(csvRow(eventCells(e))))) return counts;
      }
    }
  } else {
    const head = { exportedAt: new Date().toISOString(), since: since?.toISOString() ?? null };
    if (!(await out.write(JSON.stringify(head).slice(0, -1)))) return counts;
    for (const table of tables) {
      if (!(await out.write(`,\n${JSON.stringify(table)}: [`))) return counts;
      let first = true;
      const rows: Iterable<Record<string, unknown>> = table === 'changes' ? map(exportedChanges(db, since), exportedChange) : map(exportedEvents(db, since), exportedEvent);
      for (const row of rows) {
        counts[table] += 1;
        if (!(await out.write(`${first ? '\n' : ',\n'}  ${JSON.stringify(row)}`))) return counts;
        first = false;
      }
      if (!(await out.write(first ? ']' : '\n]'))) return counts;
    }
    if (!(await out.write('\n}\n'))) return counts;
  }
  counts.complete = await out.flush();
  return counts;
}

function* map<A, B>(it: Iterable<A>, f: (a: A) => B): Iterable<B> {
  for (const a of it) yield f(a);
}

export async function runExport(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine('export', EXPORT_HELP, EXPORT_ARGS, argv, io);
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const format = values.format;
  if (format === undefined) return usageError(io, 'export', 'say --format csv or --format json');
  if (format !== 'csv' && format !== 'json') return usageError(io, 'export', `--format '${format}' is not csv or json`);
  const table = values.table;
  if (table !== undefined && table !== 'changes' && table !== 'events') return usageError(io, 'export', `--table '${table}' is not changes or events`);
  let since: Date | undefined;
  if (values.since !== undefined) {
    since = parseIsoDay(values.since) ?? parseIsoTimestamp(values.since);
    if (!since) return usageError(io, 'export', `--since '${values.since.slice(0, 80)}' is not a date: write a day, 2026-11-01, or a date-time with a zone, 2026-11-01T09:00:00Z`);
  }
  const tables: Table[] = table ? [table] : format === 'csv' ? ['changes'] : ['changes', 'events'];
  try {
    const config = loadConfig(io.env);
    const db = openExistingLedger(config.dbPath);
    try {
      const file = values.out !== undefined ? createWriteStream(values.out, { mode: 0o600 }) : undefined;
      if (file) {
        await new Promise<void>((resolve, reject) => {
          file.once('open', () => resolve());
          file.once('error', (err: NodeJS.ErrnoException) => reject(new StopgapError('usage', `cannot write ${values.out}: ${err.code ?? err.message}`)));
        });
      }
      const counts = await readSnapshot(db, () => writeExport(chunkedWriter(file ?? io.stdout), db, { format, tables, since }));
      if (file) {
        await new Promise<void>((resolve, reject) => file.end((err?: Error | null) => (err ? reject(err) : resolve())));
        writeLine(io.stderr, `Exported ${tables.map((t) => `${counts[t]} ${t}`).join(' and ')} to ${values.out}.`);
      }
      return 0;
    } finally {
      db.close();
    }
  } catch (err) {
    return reportFailure(io, 'export', err);
  }
}

export const command: Command = { help: EXPORT_HELP, run: runExport };
