/**
 * `stopgap serve` as production runs it: the built CLI (`node dist/src/cli.js serve`) in its own
 * process, against the fake Slack Web API (in this process) and the fake Kubernetes API server (a
 * process of its own: bench/scan.ts's generated cluster) on loopback. Figures, printed, never
 * asserted, medians of 5 starts:
 * - start-up: from spawn to `/readyz` answering 200 as the Deployment's readiness probe asks it, and to
 *   the 'stopgap started' log line; baselines in the same run: `stopgap --help` (Node's start-up) and a
 *   process that only imports serve's code (its time and peak RSS);
 * - the cluster's first sync: every watched kind listed and diffed (its 'drift kind listed' log lines,
 *   read as they come, so /metrics is not polled while the diff runs), then
 *   `stopgap_cluster_synced{cluster="bench"} 1` confirmed on /metrics;
 * - memory, read from /proc/PID/status once the process has settled (synced, then quiet: under 2% of a
 *   core for a second): VmRSS, and VmHWM, the peak since spawn; V8's heap from /metrics beside it;
 * with a handful of objects (the idle figure) and with 20,000 (Deployments, ConfigMaps and Services
 * with managedFields and last-applied, 1% changed by hand); the 20,000 again (3 starts) with the heap
 * V8 would size under the Deployment's 512Mi memory limit, since on a large host it sizes it from the
 * host's memory and collects lazily.
 * `serve` starts on a fresh database each time; `serve-ledger` on the 100,000-change, 1,000,000-event
 * ledger of bench/digest.ts (its `buildLedger`, which takes most of a minute to seed).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { startFakeSlack, type FakeSlack } from '../src/demo/fake-slack.js';
import { freePort, TEST_BOT_TOKEN, TEST_SIGNING_SECRET } from '../test/support/app.js';
import { buildOnce, CLI, percentile } from './build.js';
import { buildLedger } from './digest.js';
import { benchCluster } from './scan.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPORT_RSS = join(HERE, 'report-rss.mjs');
/** The composition root `serve` runs, as built. */
const MAIN = join(dirname(CLI), 'main.js');
const RUNS = 5;
const HANDFUL = 12;
const LARGE = 20_000;
const CLUSTER = 'bench';
const KINDS = ['Deployment', 'ConfigMap', 'Service'];
/**
 * What the Deployment's readiness probe asks (deploy/base/deployment.yaml): whether the process can take
 * Slack's requests, whatever the cluster's sync; the cluster's sync is measured on its own.
 */
const READY_PATH = '/readyz?exclude=slack-api&exclude=clusters';
/** Settled: the process used at most QUIET_CPU_MS of CPU over the last QUIET_WINDOW_MS. */
const QUIET_WINDOW_MS = 1_000;
const QUIET_CPU_MS = 20;
const QUIET_TIMEOUT_MS = 30_000;
const STEP_TIMEOUT_MS = 120_000;

interface LogLine {
  msg?: string;
  cluster?: string;
  kind?: string;
  mode?: string;
  objects?: number;
}

/** One start of serve, in ms from spawn, and its memory once settled. */
interface Start {
  readyMs: number;
  startedMs: number;
  syncedMs: number;
  settledAfterMs: number;
  quiet: boolean;
  rss: number;
  hwm: number;
  heapUsed: number;
  heapTotal: number;
  /** What plain `/readyz` (every check) answered once settled. */
  plainReadyz: number;
  stopMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** VmRSS and VmHWM of a process, in bytes, from Linux's /proc/PID/status. */
function procMemory(pid: number): { rss: number; hwm: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const bytes = (field: string): number => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(text);
    if (!m) throw new Error(`no ${field} in /proc/${pid}/status: this benchmark reads Linux's /proc`);
    return Number(m[1]) * 1024;
  };
  return { rss: bytes('VmRSS'), hwm: bytes('VmHWM') };
}

/** CPU time (user + system, every thread) a process has used, in ms; /proc/PID/stat counts in USER_HZ, 100 on Linux. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // After "pid (comm) ": state is field 3, utime field 14, stime field 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Resolves once the process has been quiet for a window (or the timeout passed), with how long that took. */
async function waitQuiet(pid: number): Promise<{ quiet: boolean; ms: number }> {
  const t0 = performance.now();
  const samples: { t: number; cpu: number }[] = [];
  for (;;) {
    const now = performance.now();
    const cpu = cpuMs(pid);
    samples.push({ t: now, cpu });
    while (samples.length > 1 && now - (samples[1]?.t ?? now) >= QUIET_WINDOW_MS) samples.shift();
    const first = samples[0];
    if (first && now - first.t >= QUIET_WINDOW_MS && cpu - first.cpu <= QUIET_CPU_MS) return { quiet: true, ms: now - t0 };
    if (now - t0 > QUIET_TIMEOUT_MS) return { quiet: false, ms: now - t0 };
    await sleep(100);
  }
}

/** The value of a Prometheus sample in exposition text: `name{...labels containing `having`...} value`. */
function sample(text: string, name: string, having = ''): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-z_:]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m?.[1] === name && (m[2] ?? '').includes(having)) return Number(m[3]);
  }
  return undefined;
}

async function get(url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return { status: res.status, text: await res.text() };
}

async function until<T>(what: string, proc: ChildProcess, tail: () => string, check: () => Promise<T | undefined>, everyMs: number): Promise<T> {
  const deadline = performance.now() + STEP_TIMEOUT_MS;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`serve exited (${proc.exitCode ?? proc.signalCode}) before ${what}; its last log lines:\n${tail()}`);
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`serve: no ${what} within ${STEP_TIMEOUT_MS / 1000} s; its last log lines:\n${tail()}`);
    await sleep(everyMs);
  }
}

/**
 * One start: spawn serve, time it to ready and to the cluster's first sync, let it settle, read its
 * memory, then SIGTERM it and time the exit.
 */
async function startOnce(env: Record<string, string>, objects: number, nodeArgs: string[]): Promise<Start> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t0 = performance.now();
  const proc = spawn(process.execPath, [...nodeArgs, CLI, 'serve'], {
    env: { PATH: process.env['PATH'] ?? '', NODE_OPTIONS: '', LOG_LEVEL: 'info', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const recent: string[] = [];
  let startedMs = NaN;
  let syncedMs = NaN;
  const listed = new Map<string, number>();
  createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    recent.push(line);
    if (recent.length > 30) recent.shift();
    let entry: LogLine;
    try {
      entry = JSON.parse(line) as LogLine;
    } catch {
      return; // not a log line
    }
    if (entry.msg === 'stopgap started') startedMs = performance.now() - t0;
    if (entry.msg === 'drift kind listed' && entry.mode === 'list' && entry.cluster === CLUSTER && entry.kind) {
      listed.set(entry.kind, entry.objects ?? 0);
      const total = [...listed.values()].reduce((a, b) => a + b, 0);
      if (Number.isNaN(syncedMs) && listed.size === KINDS.length && total === objects) syncedMs = performance.now() - t0;
    }
  });
  const tail = () => recent.join('\n');
  try {
    const readyMs = await until('ready', proc, tail, async () => ((await get(`${url}${READY_PATH}`)).status === 200 ? performance.now() - t0 : undefined), 5);
    // Every kind listed and diffed, as its log lines tell (no polling that would compete with the diff)...
    await until('first sync of every kind', proc, tail, async () => (Number.isNaN(syncedMs) ? undefined : true), 20);
    // ...and the metric an operator watches agrees.
    await until('stopgap_cluster_synced 1', proc, tail, async () => (sample((await get(`${url}/metrics`)).text, 'stopgap_cluster_synced', `cluster="${CLUSTER}"`) === 1 ? true : undefined), 100);
    const pid = proc.pid as number;
    const settled = await waitQuiet(pid);
    const mem = procMemory(pid);
    const metrics = (await get(`${url}/metrics`)).text;
    const plainReadyz = (await get(`${url}/readyz`)).status;
    const stopAt = performance.now();
    proc.kill('SIGTERM');
    await exited;
    return {
      readyMs,
      startedMs,
      syncedMs,
      settledAfterMs: settled.ms,
      quiet: settled.quiet,
      rss: mem.rss,
      hwm: mem.hwm,
      heapUsed: sample(metrics, 'stopgap_nodejs_heap_size_used_bytes') ?? NaN,
      heapTotal: sample(metrics, 'stopgap_nodejs_heap_size_total_bytes') ?? NaN,
      plainReadyz,
      stopMs: performance.now() - stopAt,
    };
  } finally {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await exited;
    }
  }
}

const median = (xs: number[]): number => percentile([...xs].sort((a, b) => a - b), 50);
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const msOf = (ms: number): string => `${ms.toFixed(0)} ms`;
const sOf = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const spread = (xs: number[], unit: (v: number) => string): string => `${unit(median(xs))} (${xs.map(unit).join(', ')})`;

function report(label: string, starts: Start[]): void {
  const of = <K extends keyof Start>(key: K) => starts.map((s) => s[key] as number);
  const notQuiet = starts.filter((s) => !s.quiet).length;
  console.log(`  ${label}:`);
  console.log(`    ready (GET ${READY_PATH} 200): ${spread(of('readyMs'), msOf)}; 'stopgap started' logged at ${msOf(median(of('startedMs')))}`);
  console.log(`    first sync (all ${KINDS.length} kinds listed and diffed, stopgap_cluster_synced 1): ${spread(of('syncedMs'), sOf)} from spawn`);
  console.log(
    `    settled (${sOf(median(of('settledAfterMs')))} after the sync${notQuiet ? `; ${notQuiet} of ${starts.length} never quiet within ${QUIET_TIMEOUT_MS / 1000} s, read anyway` : ''}): ` +
      `VmRSS ${spread(of('rss'), mib)}; VmHWM (peak) ${spread(of('hwm'), mib)}; V8 heap ${mib(median(of('heapUsed')))} used of ${mib(median(of('heapTotal')))}`,
  );
  console.log(`    plain /readyz (every check) then: ${[...new Set(of('plainReadyz'))].join('/')}; SIGTERM to exit: ${msOf(median(of('stopMs')))}`);
}

/** `node dist/src/cli.js --help`, spawn to exit: Node's start-up, the floor under serve's. */
function helpBaseline(): number[] {
  return Array.from({ length: RUNS }, () => {
    const t = performance.now();
    const run = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', NODE_OPTIONS: '' } });
    if (run.status !== 0) throw new Error(`stopgap --help exited ${run.status}: ${run.stderr}`);
    return performance.now() - t;
  });
}

/**
 * A process that only imports serve's modules (dist/src/main.js) and exits: its wall time and peak RSS
 * (bench/report-rss.mjs) are what loading the code costs before serve does anything.
 */
function modulesBaseline(): { ms: number[]; peak: number[] } {
  const ms: number[] = [];
  const peak: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, ['--import', REPORT_RSS, '--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(MAIN).href)});`], {
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] ?? '', NODE_OPTIONS: '' },
    });
    ms.push(performance.now() - t);
    const rss = /^STOPGAP_BENCH_RSS (\d+)$/m.exec(r.stderr);
    if (r.status !== 0 || !rss) throw new Error(`importing ${MAIN} failed (${r.status}): ${r.stderr}`);
    peak.push(Number(rss[1]));
  }
  return { ms, peak };
}

interface Setup {
  slack: FakeSlack;
  work: string;
  config: string;
  clusters: { objects: number; kubeconfig: string; stop: () => void }[];
}

async function setUp(): Promise<Setup> {
  buildOnce();
  const t0 = performance.now();
  const [small, large, slack] = await Promise.all([benchCluster(HANDFUL), benchCluster(LARGE), startFakeSlack()]);
  const clusters = [small, large].map((c) => ({ objects: c.info.objects, kubeconfig: c.kubeconfig, stop: c.stop }));
  console.log(
    `fake clusters (own processes): ${clusters.map((c) => c.objects).join(' and ')} objects (Deployments/ConfigMaps/Services with managedFields ` +
      `and last-applied, 1% changed by hand), ready in ${sOf(performance.now() - t0)}`,
  );
  const work = mkdtempSync(join(tmpdir(), 'stopgap-bench-serve-'));
  const config = join(work, 'stopgap.yml');
  writeFileSync(config, stringify({ clusters: [{ name: CLUSTER, context: 'bench', kinds: KINDS }] }));
  return { slack, work, config, clusters };
}

async function tearDown(s: Setup): Promise<void> {
  for (const c of s.clusters) c.stop();
  await s.slack.close();
  rmSync(s.work, { recursive: true, force: true });
}

/**
 * V8 sizes its old generation from the memory it may use: a quarter of it, twice over on 64-bit, so 256 MiB
 * under the Deployment's 512Mi limit (deploy/base/deployment.yaml), against 4 GiB on a large host, with a
 * young generation to match. This flag gives serve, here, the heap it would have in that container.
 */
const AS_IN_THE_DEPLOYMENT = ['--max-old-space-size=256'];
const CAPPED_RUNS = 3;

/** RUNS starts per cluster, and CAPPED_RUNS of the large one as in the Deployment; `db(label, run)` names each database. */
async function measure(s: Setup, db: (label: string, run: number) => string): Promise<void> {
  const [small, large] = s.clusters as [Setup['clusters'][number], Setup['clusters'][number]];
  const variants = [
    { label: `${small.objects} objects watched (idle)`, cluster: small, nodeArgs: [] as string[], runs: RUNS },
    { label: `${large.objects} objects watched`, cluster: large, nodeArgs: [] as string[], runs: RUNS },
    { label: `${large.objects} objects watched, heap as under a 512Mi limit (node ${AS_IN_THE_DEPLOYMENT.join(' ')}), ${CAPPED_RUNS} starts`, cluster: large, nodeArgs: AS_IN_THE_DEPLOYMENT, runs: CAPPED_RUNS },
  ];
  for (const [i, v] of variants.entries()) {
    const starts: Start[] = [];
    for (let run = 0; run < v.runs; run++) {
      const env = {
        SLACK_BOT_TOKEN: TEST_BOT_TOKEN,
        SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
        SLACK_API_URL: s.slack.apiUrl,
        STOPGAP_DB: db(`v${i}`, run),
        STOPGAP_CONFIG: s.config,
        KUBECONFIG: v.cluster.kubeconfig,
      };
      starts.push(await startOnce(env, v.cluster.objects, v.nodeArgs));
    }
    report(v.label, starts);
  }
}

function header(database: string): void {
  console.log(`stopgap serve, built CLI in its own process (node dist/src/cli.js serve; fake Slack and fake Kubernetes API on loopback), ${database}, median of ${RUNS} starts:`);
  console.log(`  baseline, node dist/src/cli.js --help (Node start-up): ${spread(helpBaseline(), msOf)}`);
  const modules = modulesBaseline();
  console.log(`  baseline, a process importing dist/src/main.js and exiting (loading serve's code): ${spread(modules.ms, msOf)}, peak RSS ${spread(modules.peak, mib)}`);
}

export async function benchServe(): Promise<void> {
  const s = await setUp();
  try {
    header('a fresh database each start');
    await measure(s, (label, run) => join(s.work, `fresh-${label}-${run}.db`));
  } finally {
    await tearDown(s);
  }
}

export async function benchServeLedger(): Promise<void> {
  const s = await setUp();
  try {
    const db = join(s.work, 'ledger.db');
    const { events, seconds } = buildLedger(db);
    console.log(`ledger of 100000 changes and ${events} events (bench/digest.ts buildLedger) built in ${seconds.toFixed(1)} s`);
    header('that ledger (the same file each start)');
    await measure(s, () => db);
  } finally {
    await tearDown(s);
  }
}
