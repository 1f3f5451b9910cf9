/**
 * The weekly digest over 100,000 changes and 1,000,000 events: reading the changes as they stand now and a
 * week ago, the figures, and the Slack message, in the same process, timed (median of 5) and with the
 * process's peak RSS. Two in three changes are open (a ledger nobody reconciles: the hard case). Targets:
 * under 250 ms and under 200 MB. Baseline in the same run: reading every change row.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDb, openMigratedDb } from '../src/store/db.js';
import { DigestStore } from '../src/store/digest-store.js';
import { LedgerStore } from '../src/store/ledger-store.js';
import { digestMessage } from '../src/slack/views/digest.js';
import { FileConfig } from '../src/config/config.js';
import { percentile } from './build.js';

const CHANGES = 100_000;
const EVENTS = 1_000_000;
const RUNS = 5;
const AT = new Date('2026-12-07T09:00:00Z');
const DAY = 86_400_000;

/** A ledger of CHANGES changes and EVENTS events at `path`, checkpointed. */
export function buildLedger(path: string): { events: number; seconds: number } {
const db = openMigratedDb(path);
  const ledger = new LedgerStore(db);
  const t0 = performance.now();
  db.transaction(() => {
    for (let i = 0; i < CHANGES; i++) {
      // Spread over a year; one in three closed a few days after it was logged.
      const at = new Date(AT.getTime() - (i % 365) * DAY - (i % 24) * 3_600_000);
      const { change } = ledger.create(
        { description: `scaled deploy/api-${i % 500} -n ns-${i % 7} for INC-${i}`, actor: `U${String(i % 300).padStart(8, '0')}`, cluster: `prod-${i % 3}`, resources: [{ kind: 'deployment', name: `api-${i % 500}`, namespace: `ns-${i % 7}` }], source: 'command' },
        { now: at, defaultDueDays: 7 },
      );
      if (i % 3 === 0) ledger.act(change.id, { type: 'reverted' }, { by: change.actor, now: new Date(at.getTime() + (i % 10) * DAY), isAdmin: false, liveDrift: false });
    }
    // The rest of a million events: drift linked and unlinked, as the linker records them.
    const have = (db.prepare('SELECT count(*) AS n FROM change_events').get() as { n: number }).n;
    ledger.appendEvents(
      Array.from({ length: EVENTS - have }, (_, k) => ({ changeId: (k % CHANGES) + 1, type: k % 2 ? 'drift_unlinked' as const : 'drift_linked' as const, actor: 'stopgap', at: new Date(AT.getTime() - (k % 365) * DAY), data: { how: 'auto', findings: [] } })),
    );
  })();
  // As a running bot's database is: checkpointed, not a write-ahead log of a million fresh events.
  db.pragma('wal_checkpoint(TRUNCATE)');
  const events = (db.prepare('SELECT count(*) AS n FROM change_events').get() as { n: number }).n;
  db.close();
  return { events, seconds: (performance.now() - t0) / 1000 };
}

/** Run in the child: time the digest over the database built by the parent. */
export async function timeDigest(path: string): Promise<void> {
  const db = openDb(path);
  const teams = FileConfig.parse({ teams: [{ name: 'payments', channel: 'C0PAYMENTS', match: [{ namespace: 'ns-1' }] }, { name: 'shop', channel: 'C0SHOPTEAM', match: [{ namespace: 'ns-2' }] }] }).teams;
  const store = new DigestStore(db);
  const events = (db.prepare('SELECT count(*) AS n FROM change_events').get() as { n: number }).n;
  const digestTimes: number[] = [];
  const baseTimes: number[] = [];
  let blocks = 0;
  for (let r = 0; r < RUNS; r++) {
    const t = performance.now();
    const digest = store.digest({ at: AT, team: null, teams });
    blocks = digestMessage(digest).blocks.length;
    digestTimes.push(performance.now() - t);
  }
  // Peak RSS before the baseline, which holds every row at once.
  const peakMb = process.resourceUsage().maxRSS / 1024;
  for (let r = 0; r < RUNS; r++) {
    const t = performance.now();
    db.prepare('SELECT * FROM changes').all();
    baseTimes.push(performance.now() - t);
  }
  digestTimes.sort((a, b) => a - b);
  baseTimes.sort((a, b) => a - b);
  console.log(`digest over ${CHANGES} changes / ${events} events (everyone's, ${blocks} blocks), own process, median of ${RUNS}:`);
  console.log(`  build + render: ${percentile(digestTimes, 50).toFixed(1)} ms (min ${digestTimes[0]?.toFixed(1)}, max ${digestTimes.at(-1)?.toFixed(1)})   target < 250 ms`);
  console.log(`  baseline, reading every change row: ${percentile(baseTimes, 50).toFixed(1)} ms   ratio ${(percentile(digestTimes, 50) / percentile(baseTimes, 50)).toFixed(1)}x`);
  console.log(`  peak RSS of that process: ${peakMb.toFixed(0)} MB   target < 200 MB`);
  db.close();
}

export async function benchDigest(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'stopgap-bench-digest-'));
  try {
    const { events, seconds } = buildLedger(join(dir, 'stopgap.db'));
    console.log(`ledger of ${CHANGES} changes and ${events} events built in ${seconds.toFixed(1)} s`);
    // Timed in a process of its own, as `serve` or `stopgap digest` would run it: its peak RSS is the digest's.
    const self = resolve(dirname(fileURLToPath(import.meta.url)), 'digest.ts');
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `const m = await import(${JSON.stringify(self)}); await m.timeDigest(${JSON.stringify(join(dir, 'stopgap.db'))});`], {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    process.stdout.write(child.stdout);
    if (child.status !== 0) process.stderr.write(child.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
