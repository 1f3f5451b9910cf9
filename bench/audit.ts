/**
 * Audit webhook ingest: 400-event batches (a mix of kept writes and reads it drops, as a real audit
 * policy sends them) POSTed over HTTP to the built `serve`, two batches in flight, as kube-apiserver's
 * webhook backend sends them. Targets: at least 5,000 events/s, p99 batch latency under 100 ms.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { TEST_BOT_TOKEN, TEST_SIGNING_SECRET } from '../test/support/app.js';
import { kubectlEvent, type KubectlChange } from '../src/demo/kubectl-audit.js';
import { buildOnce, percentile, startBot } from './build.js';
import { startFakeSlackProcess } from './fake-slack-process.js';

const BATCH = 400;
const BATCHES = 100;
const IN_FLIGHT = 2;
const TOKEN = 'bench-audit-token-0123456789';

function batch(n: number): string {
  const changes: KubectlChange[] = ['scale', 'edit', 'set-image', 'cordon', 'annotate'];
  const items = Array.from({ length: BATCH }, (_, i) => {
    const e = kubectlEvent(changes[i % changes.length] as KubectlChange, { auditId: `b${n}-e${i}`, name: `obj-${i % 97}` });
    // Three in four events of a real stream are reads or system users that the webhook drops.
    if (i % 4 === 1) return { ...e, verb: 'get' };
    if (i % 4 === 2) return { ...e, user: { username: 'system:serviceaccount:kube-system:deployment-controller' } };
    if (i % 4 === 3) return { ...e, stage: 'RequestReceived' };
    return e;
  });
  return JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items });
}

export async function benchAudit(): Promise<void> {
  buildOnce();
  const dir = mkdtempSync(join(tmpdir(), 'stopgap-bench-audit-'));
  const config = join(dir, 'stopgap.yml');
  writeFileSync(config, 'clusters:\n  - name: prod\n    context: none\n    kinds: [Deployment, ConfigMap, Node]\ndrift:\n  backoffInitialSeconds: 600\n  backoffMaxSeconds: 600\n');
  const slack = await startFakeSlackProcess();
  const bot = await startBot({
    SLACK_BOT_TOKEN: TEST_BOT_TOKEN,
    SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    STOPGAP_DB: join(dir, 'bench.db'),
    STOPGAP_CONFIG: config,
    STOPGAP_AUDIT_TOKEN: TOKEN,
  });
  const { port } = bot;
  try {
    const bodies = Array.from({ length: BATCHES + 5 }, (_, n) => batch(n));
    const pool = new Pool(`http://127.0.0.1:${port}`, { connections: IN_FLIGHT });
    const send = async (body: string) => {
      const res = await pool.request({ path: '/k8s/audit?cluster=prod', method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`webhook answered ${res.statusCode}: ${text.slice(0, 200)}`);
    };
    for (const body of bodies.slice(BATCHES)) await send(body); // warm-up
    const latencies: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < BATCHES) {
          const body = bodies[next++] as string;
          const t = performance.now();
          await send(body);
          latencies.push(performance.now() - t);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    console.log(`audit webhook: ${BATCHES} batches of ${BATCH} events (1 in 4 kept), ${IN_FLIGHT} in flight, bot in its own process`);
    console.log(`  ${((BATCHES * BATCH) / seconds).toFixed(0)} events/s   batch p50 ${percentile(latencies, 50).toFixed(1)} ms   p99 ${percentile(latencies, 99).toFixed(1)} ms   max ${latencies.at(-1)?.toFixed(1)} ms`);
    console.log('  targets: >= 5,000 events/s, p99 < 100 ms');
    await pool.close();
  } finally {
    await bot.stop();
    await slack.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
