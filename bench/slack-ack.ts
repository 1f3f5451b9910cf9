import { performance } from 'node:perf_hooks';
import { openMigratedDb } from '../src/store/db.js';
import { LedgerStore } from '../src/store/ledger-store.js';
import { startTestApp, TEST_SIGNING_SECRET } from '../test/support/app.js';
import { sendSlashCommand, ownSlashCommandFields } from '../test/support/slack-signing.js';

const PRELOAD = 100_000;
const REQUESTS = 2_000;
const CONCURRENCY = 50;

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? NaN;
}

/** Signed `/fix` requests, 50 in flight, against a ledger that already holds 100,000 changes. */
export async function benchSlackAck(): Promise<void> {
  const app = await startTestApp();
  try {
    const t0 = performance.now();
    const db = openMigratedDb(app.dbPath);
    const ledger = new LedgerStore(db);
    const now = new Date();
    db.transaction(() => {
      for (let i = 0; i < PRELOAD; i++) {
        ledger.create(
          {
            description: `scaled deploy/api-${i % 500} -n shop to ${i % 20} replicas for INC-${1000 + (i % 3000)}`,
            actor: `U${String(i % 300).padStart(8, '0')}`,
            resources: [{ kind: 'deployment', name: `api-${i % 500}`, namespace: 'shop' }],
            source: 'command',
          },
          { now, defaultDueDays: 7 },
        );
      }
    })();
    db.close();
    console.log(`preloaded ${PRELOAD} changes in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const latencies: number[] = [];
    let next = 0;
    let failures = 0;
    const started = performance.now();
    async function worker(w: number) {
      while (next < REQUESTS) {
        const i = next++;
        const fields = ownSlashCommandFields({
          text: `bumped memory on sts/db-${i} -n data to 4Gi for INC-${i}`,
          trigger_id: `bench.${w}.${i}`,
          user_id: `U${String(i % 40).padStart(8, '0')}`,
          response_url: app.slack.responseUrl(`bench-${i}`),
        });
        const t = performance.now();
        const res = await sendSlashCommand(app.url, TEST_SIGNING_SECRET, fields);
        latencies.push(performance.now() - t);
        if (res.status !== 200) failures++;
      }
    }
    await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)));
    const wall = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    console.log(`/fix ack latency over ${REQUESTS} signed requests, ${CONCURRENCY} concurrent, ledger of ${PRELOAD}+ changes`);
    console.log(`  p50 ${percentile(latencies, 50).toFixed(2)} ms   p99 ${percentile(latencies, 99).toFixed(2)} ms   max ${latencies[latencies.length - 1]?.toFixed(2)} ms`);
    console.log(`  throughput ${(REQUESTS / wall).toFixed(0)} req/s   non-200 answers: ${failures}   target p99 < 50 ms (Slack's limit 3000 ms)`);
  } finally {
    await app.stop();
  }
}
