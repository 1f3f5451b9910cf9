/**
 * Retention on real SQLite with an injected clock: scan runs and resolved findings older than
 * `retention:` go, in small transactions; active findings, young rows, findings linked to a change that
 * is still open and the hash-chained ledger stay. The schedule runs on a scheduler the test drives.
 */
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { openMigratedDb, type Db } from '../../src/store/db.js';
import { recordScanRun } from '../../src/store/findings-store.js';
import { LedgerStore } from '../../src/store/ledger-store.js';
import { pruneExpired, scheduleRetention } from '../../src/store/retention.js';
import { FakeScheduler } from '../support/fake-scheduler.js';
import { waitFor } from '../../src/demo/wait.js';

const DAY = 86_400_000;
const NOW = new Date('2026-12-01T12:00:00Z');
const ago = (days: number) => new Date(NOW.getTime() - days * DAY);
const RETENTION = { scanRuns: 90 * DAY, resolvedFindings: 90 * DAY };

function addRun(db: Db, startedDaysAgo: number): void {
  recordScanRun(db, { cluster: 'prod', group: 'apps', version: 'v1', kind: 'Deployment', mode: 'resync', startedAt: ago(startedDaysAgo), finishedAt: ago(startedDaysAgo), outcome: 'ok', objects: 3, findings: 0 });
}

let n = 0;
function addFinding(db: Db, opts: { resolvedDaysAgo?: number }): number {
  n += 1;
  const resolved = opts.resolvedDaysAgo === undefined ? null : ago(opts.resolvedDaysAgo).toISOString();
  const row = db
    .prepare(`INSERT INTO drift_findings (cluster, api_group, api_version, kind, namespace, name, path, difference, source, first_seen, last_seen, resolved_at, resolution)
      VALUES ('prod', 'apps', 'v1', 'Deployment', 'shop', ?, '/spec/replicas', 'changed', 'last-applied', ?, ?, ?, ?) RETURNING id`)
    .get(`web-${n}`, ago(200).toISOString(), ago(200).toISOString(), resolved, resolved ? 'reverted' : null) as { id: number };
  return row.id;
}

function count(db: Db, table: string): number {
  return db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
}

describe('retention', () => {
  let db: Db;
  let ledger: LedgerStore;
  beforeEach(() => {
    db = openMigratedDb(':memory:');
    ledger = new LedgerStore(db);
  });
  afterEach(() => db.close());

  it('deletes expired scan runs and resolved findings in small transactions, and nothing else', async () => {
    for (let i = 0; i < 1_203; i++) addRun(db, 200 - i * 0.1); // 200 days ago up to ~80 days ago
    const old = Array.from({ length: 7 }, () => addFinding(db, { resolvedDaysAgo: 120 }));
    const young = addFinding(db, { resolvedDaysAgo: 30 });
    const active = addFinding(db, {});
    // An old resolved finding linked to a closed change goes, with its link; one linked to an open change stays.
    const closed = ledger.create({ description: 'scaled deploy/web-1 -n shop', actor: 'U0A', source: 'command' }, { now: ago(150), defaultDueDays: 7 }).change;
    ledger.act(closed.id, { type: 'reverted' }, { by: 'U0A', now: ago(119), isAdmin: false });
    const open = ledger.create({ description: 'scaled deploy/web-2 -n shop', actor: 'U0A', source: 'command' }, { now: ago(150), defaultDueDays: 7 }).change;
    const link = db.prepare("INSERT INTO drift_links (finding_id, change_id, how, linked_by, linked_at) VALUES (?, ?, 'automatic', 'stopgap', ?)");
    link.run(old[0], closed.id, ago(150).toISOString());
    link.run(old[1], open.id, ago(150).toISOString());
    db.prepare('INSERT INTO drift_nudges (finding_id, slack_user, sent_at) VALUES (?, ?, ?)').run(old[2], 'U0A', ago(150).toISOString());
    db.prepare('INSERT INTO drift_questions (finding_id, change_ids, asked_at) VALUES (?, ?, ?)').run(old[3], '[1,2]', ago(150).toISOString());
    const events = count(db, 'change_events');
    const expiredRuns = db.prepare('SELECT count(*) FROM drift_scan_runs WHERE started_at < ?').pluck().get(ago(90).toISOString()) as number;

    let pauses = 0;
    const result = await pruneExpired(db, NOW, RETENTION, { batch: 100, yieldBetween: async () => void (pauses += 1) });

    expect(result).toEqual({ scanRuns: expiredRuns, findings: 6 });
    expect(expiredRuns).toBeGreaterThan(1_000);
    expect(pauses, 'the event loop got a turn between batches').toBeGreaterThanOrEqual(Math.floor(expiredRuns / 100));
    expect(db.prepare('SELECT count(*) FROM drift_scan_runs WHERE started_at < ?').pluck().get(ago(90).toISOString())).toBe(0);
    expect(count(db, 'drift_scan_runs')).toBe(1_203 - expiredRuns);
    const left = db.prepare('SELECT id FROM drift_findings ORDER BY id').pluck().all();
    expect(left).toEqual([old[1], young, active]);
    expect(db.prepare('SELECT finding_id FROM drift_links').pluck().all()).toEqual([old[1]]);
    expect([count(db, 'drift_nudges'), count(db, 'drift_questions')]).toEqual([0, 0]);
    // The ledger is untouched and still verifies.
    expect(count(db, 'change_events')).toBe(events);
    expect(ledger.verify().ok).toBe(true);
    expect(await pruneExpired(db, NOW, RETENTION)).toEqual({ scanRuns: 0, findings: 0 });
  });

  it('follows the configured retention', async () => {
    addRun(db, 40);
    addFinding(db, { resolvedDaysAgo: 40 });
    expect(await pruneExpired(db, NOW, RETENTION)).toEqual({ scanRuns: 0, findings: 0 });
    expect(await pruneExpired(db, NOW, { scanRuns: 30 * DAY, resolvedFindings: 60 * DAY })).toEqual({ scanRuns: 1, findings: 0 });
    expect(await pruneExpired(db, NOW, { scanRuns: 30 * DAY, resolvedFindings: 30 * DAY })).toEqual({ scanRuns: 0, findings: 1 });
  });

  it('runs on its schedule: a minute after start, then hourly, as the clock moves', async () => {
    const logs = new PassThrough();
    let logged = '';
    logs.on('data', (c: Buffer) => (logged += c.toString()));
    const scheduler = new FakeScheduler(NOW.getTime());
    const clock = () => new Date(scheduler.now());
    const retention = scheduleRetention({ db, retention: RETENTION, logger: createLogger({ level: 'info', destination: logs }), now: clock, scheduler });
    try {
      addRun(db, 91);
      scheduler.advance(59_000);
      await new Promise((r) => setImmediate(r));
      expect(count(db, 'drift_scan_runs')).toBe(1);
      scheduler.advance(1_000);
      await waitFor(() => count(db, 'drift_scan_runs') === 0, 'the first scheduled run');
      expect(logged).toContain('expired drift history deleted');
      // A run that is young now expires as the clock moves on; the next hourly run deletes it.
      addRun(db, 89.99);
      await waitFor(() => scheduler.pending().length === 1, 'the next run to be scheduled');
      scheduler.advance(3_599_000);
      await new Promise((r) => setImmediate(r));
      expect(count(db, 'drift_scan_runs'), 'not before the hour is up').toBe(1);
      scheduler.advance(1_000);
      await waitFor(() => count(db, 'drift_scan_runs') === 0, 'the hourly run');
    } finally {
      await retention.stop();
    }
    expect(scheduler.pending()).toEqual([]);
  });
});
