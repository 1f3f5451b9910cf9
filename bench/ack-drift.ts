/**
 * `/fix` ack latency while the same bot process diffs a 20,000-object cluster: the watcher's list
 * and diff share the event loop with Slack, so every long stretch of drift work shows up as a slow
 * ack. The bot is the built CLI (`node dist/src/cli.js serve`) in its own process; the fake API
 * server (bench/scan.ts) in another. Figures, printed, never asserted: p50/p99 of signed `/fix`
 * requests (50 in flight, then paced at 100/s) against a bot with no cluster (the same-run
 * baseline), then against one watching the cluster, load started while its first list is still
 * being diffed and kept busy by a 10-second resync. Desired state from the objects' last-applied
 * annotations (nothing to re-read) and from a manifest directory (20,000 documents, re-read at
 * every resync); 1% of the objects drifted.
 * Target p99 < 100 ms.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { Pool } from 'undici';
import { stringify } from 'yaml';
import { TEST_BOT_TOKEN, TEST_SIGNING_SECRET } from '../test/support/app.js';
import { startFakeSlack } from '../src/demo/fake-slack.js';
import type { FakeSlack } from '../src/demo/fake-slack.js';
import { ownSlashCommandFields, signSlackRequest } from '../test/support/slack-signing.js';
import { CLI, buildOnce, percentile } from './build.js';
import { benchCluster } from './scan.js';

const REQUESTS = 2_000;
const WARMUP = 200;
const CONCURRENCY = 50;
const PACED_REQUESTS = 1_500;
const PACED_PER_SECOND = 100;
/** Each kind relists this soon after its last list (the default is 600): the watcher is never idle for long. */
const RESYNC_SECONDS = 10;

interface LogLine {
  time?: number;
  msg?: string;
  port?: number;
  mode?: string;
  objects?: number;
  durationMs?: number;
}

interface Bot {
  proc: ChildProcess;
  port: number;
  lines: LogLine[];
}

async function startBot(env: NodeJS.ProcessEnv): Promise<Bot> {
  const proc = spawn(process.execPath, [CLI, 'serve'], { env: { PATH: process.env['PATH'] ?? '', NODE_OPTIONS: '', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: LogLine[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      let entry: LogLine;
      try {
        entry = JSON.parse(line) as LogLine;
      } catch {
        return; // not a log line
      }
      lines.push(entry);
      if (entry.msg === 'stopgap started' && entry.port) resolve(entry.port);
    });
    proc.once('exit', (code) => reject(new Error(`bot exited with ${code}`)));
  });
  return { proc, port, lines };
}

async function stopBot(bot: Bot): Promise<void> {
  bot.proc.kill('SIGTERM');
  await new Promise((resolve) => bot.proc.once('exit', resolve));
}

interface Run {
  latencies: number[];
  wall: number;
  failures: number;
  startedAt: number;
  endedAt: number;
}

function signedBody(slack: FakeSlack, tag: string, i: number): string {
  return new URLSearchParams(
    ownSlashCommandFields({
      text: `bumped memory on sts/db-${i} -n data to 4Gi for INC-${i}`,
      trigger_id: `${tag}.${i}`,
      user_id: `U${String(i % 40).padStart(8, '0')}`,
      response_url: slack.responseUrl(`${tag}-${i}`),
    }),
  ).toString();
}

/**
 * `count` signed `/fix` requests that log a change over keep-alive connections: either CONCURRENCY
 * in flight back to back (the bot saturated: latency is mostly queueing), or paced at `perSecond`
 * (the bot mostly idle: latency is what the request itself waits for, such as drift work holding
 * the event loop).
 */
async function load(pool: Pool, slack: FakeSlack, count: number, tag: string, perSecond?: number): Promise<Run> {
  const latencies: number[] = [];
  let failures = 0;
  const startedAt = Date.now();
  const started = performance.now();
  async function send(i: number): Promise<void> {
    const body = signedBody(slack, tag, i);
    const t = performance.now();
    const res = await pool.request({
      path: '/slack/events',
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...signSlackRequest(TEST_SIGNING_SECRET, body) },
      body,
    });
    await res.body.dump();
    latencies.push(performance.now() - t);
    if (res.statusCode !== 200) failures++;
  }
  if (perSecond === undefined) {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < count) await send(next++);
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, () => worker()));
  } else {
    const sent: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const due = started + (i * 1000) / perSecond;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      sent.push(send(i));
    }
    await Promise.all(sent);
  }
  latencies.sort((a, b) => a - b);
  return { latencies, wall: (performance.now() - started) / 1000, failures, startedAt, endedAt: Date.now() };
}

/**
 * Warm-up, then the saturating run, then the paced one, over one pool of keep-alive connections
 * (as Slack's senders keep theirs): what each bot is measured with.
 */
async function measure(bot: Bot, slack: FakeSlack, tag: string): Promise<{ saturated: Run; paced: Run }> {
  const pool = new Pool(`http://127.0.0.1:${bot.port}`, { connections: CONCURRENCY });
  try {
    await load(pool, slack, WARMUP, `${tag}-warmup`);
    const saturated = await load(pool, slack, REQUESTS, `${tag}-saturated`);
    const paced = await load(pool, slack, PACED_REQUESTS, `${tag}-paced`, PACED_PER_SECOND);
    return { saturated, paced };
  } finally {
    await pool.close();
  }
}

const ms = (v: number): string => v.toFixed(2);
const SATURATED = `${CONCURRENCY} in flight`;
const PACED = `paced ${PACED_PER_SECOND}/s`;

function line(label: string, r: Run): string {
  const p50 = ms(percentile(r.latencies, 50));
  const p99 = ms(percentile(r.latencies, 99));
  return `${label.padEnd(14)} p50 ${p50} ms   p99 ${p99} ms   max ${ms(r.latencies.at(-1) ?? NaN)} ms   ${(r.latencies.length / r.wall).toFixed(0)} req/s   non-200: ${r.failures}`;
}

function ratio(run: Run, base: Run, p: number): string {
  return `${(percentile(run.latencies, p) / percentile(base.latencies, p)).toFixed(2)}x`;
}

export async function benchAckDrift(): Promise<void> {
  buildOnce();
  const slack = await startFakeSlack();
  const t0 = Date.now();
  const cluster = await benchCluster();
  console.log(`fake cluster (own process): ${cluster.info.objects} objects, ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const work = mkdtempSync(join(tmpdir(), 'stopgap-bench-ack-drift-'));
  const slackEnv = {
    SLACK_BOT_TOKEN: TEST_BOT_TOKEN,
    SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    PORT: '0',
    LOG_LEVEL: 'info',
  };
  try {
    console.log(
      `/fix ack latency, bot in its own process (node dist/src/cli.js serve), signed requests logging a change: ${WARMUP} warm-up, ` +
        `then ${REQUESTS} with ${CONCURRENCY} in flight, then ${PACED_REQUESTS} paced at ${PACED_PER_SECOND}/s`,
    );
    const baselineBot = await startBot({ ...slackEnv, STOPGAP_DB: join(work, 'baseline.db') });
    let baseline: { saturated: Run; paced: Run };
    try {
      baseline = await measure(baselineBot, slack, 'base');
    } finally {
      await stopBot(baselineBot);
    }
    console.log(`  baseline, no cluster:\n    ${line(SATURATED, baseline.saturated)}\n    ${line(PACED, baseline.paced)}`);

    const variants: [string, unknown][] = [
      ['last-applied', { type: 'last-applied' }],
      ['directory', { type: 'directory', path: cluster.info.manifests }],
    ];
    for (const [label, desired] of variants) {
      const config = join(work, `stopgap-${label}.yml`);
      writeFileSync(
        config,
        stringify({
          clusters: [{ name: 'bench', context: 'bench', kubeconfig: cluster.kubeconfig, desired, kinds: ['Deployment', 'ConfigMap', 'Service'] }],
          drift: { resyncSeconds: RESYNC_SECONDS },
        }),
      );
      const bot = await startBot({ ...slackEnv, STOPGAP_DB: join(work, `${label}.db`), STOPGAP_CONFIG: config });
      let run: { saturated: Run; paced: Run };
      try {
        // The first list of 20,000 objects starts with the bot: the load begins while it is diffed.
        run = await measure(bot, slack, label);
      } finally {
        await stopBot(bot);
      }
      const listed = bot.lines.filter((l) => l.msg === 'drift kind listed');
      const firstList = listed.filter((l) => l.mode === 'list').map((l) => l.time ?? 0);
      const start = run.saturated.startedAt;
      const at = (t: number): string => `${((t - start) / 1000).toFixed(1)} s`;
      const resyncs = listed.filter((l) => l.mode === 'resync' && (l.time ?? 0) <= run.paced.endedAt);
      console.log(
        `  watching 20k objects (Deployments, ConfigMaps, Services), desired=${label}:\n` +
          `    ${line(SATURATED, run.saturated)}   ratio p50 ${ratio(run.saturated, baseline.saturated, 50)}  p99 ${ratio(run.saturated, baseline.saturated, 99)}\n` +
          `    ${line(PACED, run.paced)}   ratio p50 ${ratio(run.paced, baseline.paced, 50)}  p99 ${ratio(run.paced, baseline.paced, 99)}\n` +
          `    drift work meanwhile (from the measured load's start): first list of all 3 kinds ` +
          `${firstList.length === 3 ? `done at ${at(Math.max(...firstList))}` : 'not done when the bot stopped'}, then ${resyncs.length} kind resyncs ` +
          `before the load ended at ${at(run.paced.endedAt)}`,
      );
    }
    console.log('  target: p99 < 100 ms (Slack\'s limit 3000 ms)');
  } finally {
    cluster.stop();
    await slack.close();
    rmSync(work, { recursive: true, force: true });
  }
}
