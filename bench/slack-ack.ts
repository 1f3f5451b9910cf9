import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openMigratedDb } from '../src/store/db.js';
import { LedgerStore } from '../src/store/ledger-store.js';
import { TEST_BOT_TOKEN, TEST_SIGNING_SECRET } from '../test/support/app.js';
import { startFakeSlackProcess } from './fake-slack-process.js';
import { startFloorProcess } from './floor-process.js';
import { Pool } from 'undici';
import { buildOnce, percentile, startBot } from './build.js';
import { ownSlashCommandFields, signSlackRequest } from '../test/support/slack-signing.js';

const PRELOAD = 100_000;

/** User + system CPU time (ms) in a /proc `stat` file; the command name before the fields may hold spaces. */
function statCpuMs(path: string): number {
  const fields = readFileSync(path, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/**
 * CPU time (ms) a process has used so far, threads that have ended included; unlike latency, it hardly
 * moves when other work shares the machine. Undefined where there is no /proc.
 */
function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    return statCpuMs(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
}

/**
 * CPU time (ms) of a process's main thread and of its other running threads (V8's GC helpers, SQLite's
 * checkpointer, libuv's pool) so far, from /proc; undefined where there is none.
 */
function threadCpuMs(pid: number | undefined): { main: number; others: number } | undefined {
  if (pid === undefined) return undefined;
  try {
    let main = 0;
    let others = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const ms = statCpuMs(`/proc/${pid}/task/${tid}/stat`);
      if (tid === String(pid)) main += ms;
      else others += ms;
    }
    return { main, others };
  } catch {
    return undefined;
  }
}
const REQUESTS = 2_000;
const CONCURRENCY = 50;

/**
 * Signed `/fix` requests, 50 in flight, against a ledger that already holds 100,000 changes. The bot
 * runs in its own process (as in production) so the load generator does not share its event loop.
 */
export async function benchSlackAck(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'stopgap-bench-'));
  const dbPath = join(dir, 'bench.db');
  // Slack's side in its own process: the bot's announcements must not slow the load generator's clock.
  const slack = await startFakeSlackProcess();
  const t0 = performance.now();
  const db = openMigratedDb(dbPath);
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

  buildOnce();
  const bot = await startBot(
    { SLACK_BOT_TOKEN: TEST_BOT_TOKEN, SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET, SLACK_API_URL: slack.apiUrl, STOPGAP_DB: dbPath },
    {
      nodeArgs: [...(process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []), ...(process.env.BENCH_TRACE_GC ? ['--trace-gc'] : []), ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : [])],
      onLine: (line) => {
        if (process.env.BENCH_TRACE_GC && /Mark-Compact|Scavenge/.test(line)) console.error(line);
      },
    },
  );
  const { port, child } = bot;
  let floor: Awaited<ReturnType<typeof startFloorProcess>> | undefined;
  try {
    // A keep-alive pool as Slack's own senders use; fetch() would make the load generator the bottleneck.
    const pool = new Pool(`http://127.0.0.1:${port}`, { connections: CONCURRENCY });
    floor = await startFloorProcess(TEST_SIGNING_SECRET);
    const floorPool = new Pool(`http://127.0.0.1:${floor.port}`, { connections: CONCURRENCY });
    async function send(fields: Record<string, string>, to: Pool): Promise<{ status: number; key?: string }> {
      const body = new URLSearchParams(fields).toString();
      const res = await to.request({
        path: '/slack/events',
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...signSlackRequest(TEST_SIGNING_SECRET, body) },
        body,
      });
      const text = await res.body.text();
      return { status: res.statusCode, key: /\bSG-\d+\b/.exec(text)?.[0] };
    }

    /**
     * `count` commands, 50 in flight. For changes logged, the run ends when every announcement has reached
     * Slack: the bot's CPU per request includes its follow-up work, and how long announcements waited is shown.
     */
    type Run = { latencies: number[]; wall: number; failures: number; cpuPerRequest?: number; announceDelays: number[]; followUpsDoneMs?: number; threads?: { main: number; others: number; loadGenerator: number } };
    async function run(count: number, tag: string, text?: string, to: Pool = pool): Promise<Run> {
      const cpuBefore = cpuMs(child.pid);
      const threadsBefore = threadCpuMs(child.pid);
      const loadBefore = process.cpuUsage();
      const latencies: number[] = [];
      const ackedAt = new Map<string, number>();
      let next = 0;
      let failures = 0;
      const started = performance.now();
      async function worker() {
        while (next < count) {
          const i = next++;
          const fields = ownSlashCommandFields({
            text: text ?? `bumped memory on sts/db-${i} -n data to 4Gi for INC-${i}`,
            trigger_id: `${tag}.${i}`,
            user_id: `U${String(i % 40).padStart(8, '0')}`,
            response_url: slack.responseUrl(`${tag}-${i}`),
          });
          const t = performance.now();
          const { status, key } = await send(fields, to);
          latencies.push(performance.now() - t);
          if (key && text === undefined) ackedAt.set(key, Date.now());
          if (status !== 200) failures++;
        }
      }
      await Promise.all(Array.from({ length: CONCURRENCY }, () => worker()));
      const wall = (performance.now() - started) / 1000;
      // Who used the machine while the requests were answered (not the follow-ups after the last ack).
      const threadsAfter = threadCpuMs(child.pid);
      const load = process.cpuUsage(loadBefore);
      const threads =
        threadsBefore && threadsAfter
          ? { main: (threadsAfter.main - threadsBefore.main) / count, others: (threadsAfter.others - threadsBefore.others) / count, loadGenerator: (load.user + load.system) / 1000 / count }
          : undefined;
      const lastAck = Date.now();
      latencies.sort((a, b) => a - b);
      let announced: Record<string, number> = {};
      const deadline = Date.now() + 60_000;
      while (ackedAt.size > 0 && Date.now() < deadline) {
        announced = await slack.announced();
        if ([...ackedAt.keys()].every((k) => announced[k] !== undefined)) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const cpuAfter = cpuMs(child.pid);
      const cpuPerRequest = cpuBefore === undefined || cpuAfter === undefined ? undefined : (cpuAfter - cpuBefore) / count;
      const announceDelays = [...ackedAt].map(([k, at]) => (announced[k] ?? Number.POSITIVE_INFINITY) - at).sort((a, b) => a - b);
      const lastAnnounced = Math.max(...[...ackedAt.keys()].map((k) => announced[k] ?? Number.NaN));
      return { latencies, wall, failures, cpuPerRequest, announceDelays, threads, ...(ackedAt.size > 0 ? { followUpsDoneMs: lastAnnounced - lastAck } : {}) };
    }

    await run(200, 'warmup');
    const bench = await run(REQUESTS, 'bench');
    const { latencies, wall, failures, cpuPerRequest, announceDelays, followUpsDoneMs } = bench;
    // Baseline in the same run: `/fix help` goes through the same signing, Bolt and response_url path
    // but writes nothing, so the difference is what recording a change costs.
    const help = await run(REQUESTS, 'help', 'help');
    await run(1_000, 'floor-warmup', 'help', floorPool);
    const bare = await run(REQUESTS, 'floor', 'help', floorPool);
    const p = (l: number[], q: number) => percentile(l, q).toFixed(2);
    console.log(`/fix ack latency: ${REQUESTS} signed requests, ${CONCURRENCY} concurrent, ledger of ${PRELOAD}+ changes, bot in its own process (node ${process.version} dist/src/cli.js serve)`);
    console.log(`  log a change: p50 ${p(latencies, 50)} ms   p99 ${p(latencies, 99)} ms   max ${latencies[latencies.length - 1]?.toFixed(2)} ms   ${(REQUESTS / wall).toFixed(0)} req/s   non-200: ${failures}`);
    console.log(`  baseline /fix help (no write): p50 ${p(help.latencies, 50)} ms   p99 ${p(help.latencies, 99)} ms   ${(REQUESTS / help.wall).toFixed(0)} req/s   non-200: ${help.failures}`);
    console.log(`  floor, the receiver alone answering at once (no Bolt, no ledger): p50 ${p(bare.latencies, 50)} ms   p99 ${p(bare.latencies, 99)} ms   ${(REQUESTS / bare.wall).toFixed(0)} req/s   non-200: ${bare.failures}`);
    const missing = announceDelays.filter((d) => !Number.isFinite(d)).length;
    console.log(
      `  channel announcement after the ack: p50 ${p(announceDelays, 50)} ms   p99 ${p(announceDelays, 99)} ms   all sent ${followUpsDoneMs?.toFixed(0) ?? 'n/a'} ms after the last ack${missing ? `   NOT ANNOUNCED: ${missing}` : ''}`,
    );
    const cpu = (v: number | undefined) => (v === undefined ? 'n/a' : `${v.toFixed(3)} ms`);
    console.log(`  bot CPU per request (user+system; for logging, until its announcement is sent): log a change ${cpu(cpuPerRequest)}   /fix help ${cpu(help.cpuPerRequest)}`);
    const split = (r: Run) => (r.threads ? `bot main thread ${r.threads.main.toFixed(3)} ms, bot's other threads ${r.threads.others.toFixed(3)} ms, load generator ${r.threads.loadGenerator.toFixed(3)} ms` : 'n/a');
    console.log(`  CPU per request while answering: log a change: ${split(bench)}   /fix help: ${split(help)}`);
    console.log(`  ratio log/floor: p50 ${(percentile(latencies, 50) / percentile(bare.latencies, 50)).toFixed(2)}x   p99 ${(percentile(latencies, 99) / percentile(bare.latencies, 99)).toFixed(2)}x`);
    console.log(`  ratio log/help: p50 ${(percentile(latencies, 50) / percentile(help.latencies, 50)).toFixed(2)}x   p99 ${(percentile(latencies, 99) / percentile(help.latencies, 99)).toFixed(2)}x   target p99 < 50 ms (Slack's limit 3000 ms)`);
    await pool.close();
    await floorPool.close();
  } finally {
    await floor?.close();
    await bot.stop();
    await slack.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
