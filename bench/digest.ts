/**
 * The weekly digest over 100,000 changes and 1,000,000 events, from the built code: the figures as they
 * stand now and a week ago, and the Slack message, timed in a process of its own (median of 5) with that
 * process's peak RSS; then the whole `stopgap digest --print` command (Node's start-up included). Two in
 * three changes are open (a ledger nobody reconciles: the hard case). Targets: under 250 ms and under
 * 200 MB. Baseline in the same run: reading every change row.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openMigratedDb } from '../src/store/db.js';
import { LedgerStore } from '../src/store/ledger-store.js';
import { buildOnce, CLI, percentile } from './build.js';

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

const HERE = dirname(fileURLToPath(import.meta.url));
const TEAMS_YAML = `teams:
  - { name: payments, channel: C0PAYMENTS, match: [{ namespace: ns-1 }] }
  - { name: shop, channel: C0SHOPTEAM, match: [{ namespace: ns-2 }] }
`;
const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);

export async function benchDigest(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'stopgap-bench-digest-'));
  try {
    const db = join(dir, 'stopgap.db');
    const { events, seconds } = buildLedger(db);
    console.log(`ledger of ${CHANGES} changes and ${events} events built in ${seconds.toFixed(1)} s`);
    buildOnce();
    const config = join(dir, 'stopgap.yml');
    writeFileSync(config, TEAMS_YAML);
    // In a process of its own, as serve or `stopgap digest` would run it: its peak RSS is the digest's.
    const child = spawnSync(process.execPath, [join(HERE, 'digest-child.mjs'), db, config, AT.toISOString(), String(RUNS)], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    if (child.status !== 0) throw new Error(`the digest timing process failed: ${child.stderr}`);
    const r = JSON.parse(child.stdout) as { digest: number[]; baseline: number[]; peakMb: number; blocks: number };
    const digestMs = median(r.digest);
    const baseMs = median(r.baseline);
    console.log(`digest over ${CHANGES} changes / ${events} events (everyone's, two teams configured, ${r.blocks} blocks), built code, own process, median of ${RUNS}:`);
    console.log(`  build + render: ${digestMs.toFixed(1)} ms (min ${Math.min(...r.digest).toFixed(1)}, max ${Math.max(...r.digest).toFixed(1)})   target < 250 ms`);
    console.log(`  baseline, reading every change row: ${baseMs.toFixed(1)} ms   ratio ${(digestMs / baseMs).toFixed(2)}x`);
    console.log(`  peak RSS of that process: ${r.peakMb.toFixed(0)} MB   target < 200 MB`);
    // The command a person runs, start-up and all.
    const walls: number[] = [];
    let rss = 0;
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      const run = spawnSync(process.execPath, ['--import', join(HERE, 'report-rss.mjs'), CLI, 'digest', '--print', '--at', AT.toISOString()], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, STOPGAP_DB: db, STOPGAP_CONFIG: config },
      });
      walls.push(performance.now() - t);
      if (run.status !== 0) throw new Error(`stopgap digest --print failed: ${run.stderr}`);
      rss = Math.max(rss, Number(/^STOPGAP_BENCH_RSS (\d+)$/m.exec(run.stderr)?.[1] ?? 0) / 1024 / 1024);
    }
    console.log(`  \`stopgap digest --print\`, whole command: ${median(walls).toFixed(0)} ms median of ${RUNS}, peak RSS ${rss.toFixed(0)} MB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
