/**
 * Scan benchmark: one full pass over a 20,000-object cluster served by the fake API server, measured
 * as a user runs it: `stopgap scan --json` from the built JavaScript (`npm run build` first).
 *
 * The fake runs in a child process of its own; each scan is a fresh `node dist/src/cli.js scan`
 * process with a fresh database. Figures (median of 3): wall time from spawn to exit (process
 * start-up included) and the scan process's own peak RSS, reported by bench/report-rss.mjs at exit;
 * `stopgap --help` is measured the same way as the start-up baseline. Two desired-state sources:
 * `last-applied` (desired state inside each live object) and a generated manifest directory (YAML,
 * one file per namespace). Targets: under 10 s, under 300 MB.
 */
import { CLI, buildOnce } from './build.js';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { KubeObject } from '../src/drift/types.js';

const OBJECTS = 20_000;
const NAMESPACES = 100;
const RUNS = 3;
const DRIFT_EVERY = 100; // 1% of objects changed by hand
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const HERE = dirname(fileURLToPath(import.meta.url));
const REPORT_RSS = join(HERE, 'report-rss.mjs');

// --- generated cluster (child process) ----------------------------------------------------------

function entry(manager: string, operation: string, apiVersion: string, time: string, fields: unknown, subresource?: string): unknown {
  return { manager, operation, apiVersion, time, fieldsType: 'FieldsV1', fieldsV1: fields, ...(subresource ? { subresource } : {}) };
}

function deployment(i: number, namespace: string): { desired: KubeObject; live: KubeObject } {
  const name = `svc-${i}`;
  const env = Array.from({ length: 6 }, (_, k) => ({ name: `SETTING_${k}`, value: `value-${i}-${k}` }));
  const container = {
    name: 'app',
    image: `registry.example.com/team-${i % 40}/${name}:1.${i % 17}.${i % 5}`,
    ports: [{ containerPort: 8080, name: 'http' }, { containerPort: 9090, name: 'metrics' }],
    env,
    resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
    readinessProbe: { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 5 },
    livenessProbe: { httpGet: { path: '/live', port: 8080 }, initialDelaySeconds: 10 },
    volumeMounts: [{ name: 'config', mountPath: '/etc/app' }],
  };
  const desired: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { app: name, team: `team-${i % 40}` } },
    spec: {
      replicas: 2 + (i % 3),
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, team: `team-${i % 40}` } },
        spec: { containers: [container], volumes: [{ name: 'config', configMap: { name: `${name}-config` } }] },
      },
    },
  };
  const drifted = i % DRIFT_EVERY === 0;
  const replicas = (desired['spec'] as { replicas: number }).replicas;
  const liveContainer = {
    ...container,
    image: drifted && i % 200 === 0 ? `${container.image}-hotfix` : container.image,
    ports: container.ports.map((p) => ({ ...p, protocol: 'TCP' })),
    env: container.env.map((e) => ({ ...e })),
    readinessProbe: { ...container.readinessProbe, httpGet: { ...container.readinessProbe.httpGet, scheme: 'HTTP' }, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 },
    livenessProbe: { ...container.livenessProbe, httpGet: { ...container.livenessProbe.httpGet, scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    imagePullPolicy: 'IfNotPresent',
  };
  const applied = '2025-02-01T08:00:00Z';
  const managedFields = [
    entry('kubectl-client-side-apply', 'Update', 'apps/v1', applied, {
      'f:metadata': { 'f:annotations': { '.': {}, [`f:${LAST_APPLIED}`]: {} }, 'f:labels': { '.': {}, 'f:app': {}, 'f:team': {} } },
      'f:spec': {
        ...(drifted ? {} : { 'f:replicas': {} }),
        'f:selector': {},
        'f:template': {
          'f:metadata': { 'f:labels': { '.': {}, 'f:app': {}, 'f:team': {} } },
          'f:spec': {
            'f:containers': {
              'k:{"name":"app"}': {
                '.': {},
                'f:env': Object.fromEntries(env.map((e) => [`k:{"name":"${e.name}"}`, { '.': {}, 'f:name': {}, 'f:value': {} }])),
                'f:image': {},
                'f:name': {},
                'f:ports': {
                  'k:{"containerPort":8080,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {}, 'f:name': {} },
                  'k:{"containerPort":9090,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {}, 'f:name': {} },
                },
                'f:resources': { 'f:limits': { 'f:cpu': {}, 'f:memory': {} }, 'f:requests': { 'f:cpu': {}, 'f:memory': {} } },
              },
            },
            'f:volumes': { 'k:{"name":"config"}': { '.': {}, 'f:configMap': { 'f:name': {} }, 'f:name': {} } },
          },
        },
      },
    }),
    entry('kube-controller-manager', 'Update', 'apps/v1', applied, {
      'f:metadata': { 'f:annotations': { 'f:deployment.kubernetes.io/revision': {} } },
      'f:status': { 'f:availableReplicas': {}, 'f:conditions': {}, 'f:observedGeneration': {}, 'f:readyReplicas': {}, 'f:replicas': {} },
    }, 'status'),
    ...(drifted ? [entry('kubectl', 'Update', 'autoscaling/v1', '2025-03-02T09:58:00Z', { 'f:spec': { 'f:replicas': {} } }, 'scale')] : []),
  ];
  const live: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace,
      labels: { app: name, team: `team-${i % 40}` },
      annotations: { 'deployment.kubernetes.io/revision': '3', [LAST_APPLIED]: JSON.stringify(desired) },
      generation: 3,
      managedFields,
    },
    spec: {
      replicas: drifted ? replicas + 4 : replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, team: `team-${i % 40}` }, creationTimestamp: null },
        spec: {
          containers: [liveContainer],
          volumes: [{ name: 'config', configMap: { name: `${name}-config`, defaultMode: 420 } }],
          restartPolicy: 'Always',
          terminationGracePeriodSeconds: 30,
          dnsPolicy: 'ClusterFirst',
          securityContext: {},
          schedulerName: 'default-scheduler',
        },
      },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    },
    status: {
      observedGeneration: 3,
      replicas,
      updatedReplicas: replicas,
      readyReplicas: replicas,
      availableReplicas: replicas,
      conditions: [
        { type: 'Available', status: 'True', lastUpdateTime: applied, lastTransitionTime: applied, reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' },
        { type: 'Progressing', status: 'True', lastUpdateTime: applied, lastTransitionTime: applied, reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${name}-7c9f" has successfully progressed.` },
      ],
    },
  };
  return { desired, live };
}

function configMap(i: number, namespace: string): { desired: KubeObject; live: KubeObject } {
  const name = `svc-${i}-config`;
  const data = Object.fromEntries(Array.from({ length: 8 }, (_, k) => [`key_${k}`, `setting ${k} for ${name}: ${'x'.repeat(40)}`]));
  const desired: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels: { app: `svc-${i}` } }, data };
  const drifted = i % DRIFT_EVERY === 1;
  const liveData = drifted ? { ...data, key_0: 'edited during the incident' } : data;
  const managedFields = [
    entry('kubectl-client-side-apply', 'Update', 'v1', '2025-02-01T08:00:00Z', {
      'f:data': { '.': {}, ...Object.fromEntries(Object.keys(data).filter((k) => !(drifted && k === 'key_0')).map((k) => [`f:${k}`, {}])) },
      'f:metadata': { 'f:annotations': { '.': {}, [`f:${LAST_APPLIED}`]: {} }, 'f:labels': { '.': {}, 'f:app': {} } },
    }),
    ...(drifted ? [entry('kubectl-edit', 'Update', 'v1', '2025-03-02T10:01:00Z', { 'f:data': { 'f:key_0': {} } })] : []),
  ];
  const live: KubeObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, labels: { app: `svc-${i}` }, annotations: { [LAST_APPLIED]: JSON.stringify(desired) }, managedFields },
    data: liveData,
  };
  return { desired, live };
}

function service(i: number, namespace: string): { desired: KubeObject; live: KubeObject } {
  const name = `svc-${i}`;
  const desired: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels: { app: name } },
    spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'metrics', port: 9090, targetPort: 9090 }] },
  };
  const live: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace,
      labels: { app: name },
      annotations: { [LAST_APPLIED]: JSON.stringify(desired) },
      managedFields: [
        entry('kubectl-client-side-apply', 'Update', 'v1', '2025-02-01T08:00:00Z', {
          'f:metadata': { 'f:annotations': { '.': {}, [`f:${LAST_APPLIED}`]: {} }, 'f:labels': { '.': {}, 'f:app': {} } },
          'f:spec': {
            'f:ports': {
              '.': {},
              'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:name': {}, 'f:port': {}, 'f:protocol': {}, 'f:targetPort': {} },
              'k:{"port":9090,"protocol":"TCP"}': { '.': {}, 'f:name': {}, 'f:port': {}, 'f:protocol': {}, 'f:targetPort': {} },
            },
            'f:selector': {},
          },
        }),
      ],
    },
    spec: {
      selector: { app: name },
      ports: [
        { name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 },
        { name: 'metrics', protocol: 'TCP', port: 9090, targetPort: 9090 },
      ],
      clusterIP: `10.96.${(i >> 8) & 255}.${i & 255}`,
      clusterIPs: [`10.96.${(i >> 8) & 255}.${i & 255}`],
      type: 'ClusterIP',
      sessionAffinity: 'None',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      internalTrafficPolicy: 'Cluster',
    },
    status: { loadBalancer: {} },
  };
  return { desired, live };
}

/**
 * Child-process entry: fills a fake API server with `objects` objects (20,000 unless told; 2
 * Deployments and 2 ConfigMaps for each Service), writes the matching manifest directory, and prints
 * where both are.
 */
export async function serveBenchCluster(objects = OBJECTS): Promise<void> {
  const { startFakeKube } = await import('../src/demo/fake-kube.js');
  const fake = await startFakeKube();
  const dir = mkdtempSync(join(tmpdir(), 'stopgap-bench-scan-'));
  const manifests = join(dir, 'manifests');
  const perNamespace = new Map<string, KubeObject[]>();
  let count = 0;
  for (let i = 0; count < objects; i++) {
    const namespace = `team-ns-${i % NAMESPACES}`;
    const parts = [deployment(i, namespace), configMap(i, namespace)];
    if (i % 2 === 0) parts.push(service(i, namespace));
    for (const { desired, live } of parts) {
      if (count >= objects) break;
      fake.put(live);
      const docs = perNamespace.get(namespace) ?? [];
      docs.push(desired);
      perNamespace.set(namespace, docs);
      count += 1;
    }
  }
  fake.compact(); // watch history is not needed, and memory of the child is not what is measured
  for (const [namespace, docs] of perNamespace) {
    const file = join(manifests, namespace, 'rendered.yaml');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, docs.map((d) => stringify(d)).join('---\n'));
  }
  process.stdout.write(`${JSON.stringify({ url: fake.url, token: fake.token, dir, manifests, objects: count })}\n`);
  const stop = (): void => {
    rmSync(dir, { recursive: true, force: true });
    void fake.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  // Never outlive the benchmark, even when it dies without a word.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop();
  }, 1000).unref();
}


// --- the benchmark (this process) ---------------------------------------------------------------

interface ChildInfo {
  url: string;
  token: string;
  dir: string;
  manifests: string;
  objects: number;
}

/** Runs `fn` of this module in a child process (tsx, like the benchmark) and reads its JSON line. */
async function child<T>(call: string): Promise<{ proc: ChildProcess; value: T }> {
  const self = resolve(HERE, 'scan.ts');
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', `const m = await import(${JSON.stringify(self)}); await m.${call};`],
    // Its own memory settings, not this process's.
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_OPTIONS: '' } },
  );
  const lines = createInterface({ input: proc.stdout as NodeJS.ReadableStream });
  const value = await new Promise<T>((resolveValue, reject) => {
    proc.once('exit', (code) => reject(new Error(`bench child ${call.slice(0, 40)} exited with ${code}`)));
    lines.once('line', (line) => resolveValue(JSON.parse(line) as T));
  });
  return { proc, value };
}

/** One run of the built CLI: wall time from spawn to exit, and the child's own peak RSS. */
interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  wallMs: number;
  peakRss: number;
  /** process.memoryUsage() at exit, as reported by report-rss.mjs. */
  atExit: { rss: number; heapTotal: number; heapUsed: number; external: number; arrayBuffers: number } | undefined;
  stdout: string;
  stderr: string;
}

/** `node [nodeArgs] --import bench/report-rss.mjs dist/src/cli.js ...args`, as a user runs it. */
function runCli(args: string[], env: NodeJS.ProcessEnv, cwd: string, nodeArgs: string[] = []): Promise<CliRun> {
  return new Promise((resolveRun, reject) => {
    const t0 = performance.now();
    const proc = spawn(process.execPath, [...nodeArgs, '--import', REPORT_RSS, CLI, ...args], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    proc.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    proc.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    let wallMs = 0;
    proc.once('exit', () => {
      wallMs = performance.now() - t0;
    });
    proc.once('error', reject);
    proc.once('close', (code, signal) => {
      const stderr = Buffer.concat(err).toString('utf8');
      const rss = /^STOPGAP_BENCH_RSS (\d+)$/m.exec(stderr);
      const mem = /^STOPGAP_BENCH_MEM (.+)$/m.exec(stderr);
      resolveRun({
        code,
        signal,
        wallMs,
        peakRss: rss ? Number(rss[1]) : NaN,
        atExit: mem ? (JSON.parse(mem[1] as string) as CliRun['atExit']) : undefined,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: stderr.replace(/^STOPGAP_BENCH_(RSS|MEM) .*\n?/gm, ''),
      });
    });
  });
}

function failRun(what: string, run: CliRun, expected: string): never {
  console.error(`${what}: exit ${run.code ?? run.signal}, expected ${expected}; its stderr:\n${run.stderr}`);
  throw new Error(`${what}: exit ${run.code ?? run.signal}, expected ${expected}`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const secs = (ms: number): string => (ms / 1000).toFixed(2);

interface ScanFigures {
  wallMs: number[];
  peakRss: number[];
  objects: number;
  findings: number;
  last?: CliRun;
}

/** Three `stopgap scan --json` runs with one desired-state source, each into a fresh database. */
async function scanRuns(label: string, desired: unknown, work: string, kubeconfig: string, nodeArgs: string[] = []): Promise<ScanFigures> {
  const config = join(work, `stopgap-${label}.yml`);
  writeFileSync(config, stringify({ clusters: [{ name: 'bench', context: 'bench', desired, kinds: ['Deployment', 'ConfigMap', 'Service'] }] }));
  const figures: ScanFigures = { wallMs: [], peakRss: [], objects: 0, findings: 0 };
  for (let run = 0; run < RUNS; run++) {
    const db = join(work, `${label}-${nodeArgs.length}-${run}.db`);
    const env = { PATH: process.env['PATH'] ?? '', KUBECONFIG: kubeconfig, STOPGAP_CONFIG: config, STOPGAP_DB: db, NODE_OPTIONS: '' };
    const result = await runCli(['scan', '--json'], env, work, nodeArgs);
    if (result.code !== 1) failRun(`stopgap scan (desired=${label}, run ${run + 1})`, result, '1 (drift found)');
    const report = JSON.parse(result.stdout) as { findings: unknown[]; clusters: { kinds: { objects: number }[] }[] };
    figures.findings = report.findings.length;
    figures.objects = report.clusters.flatMap((c) => c.kinds).reduce((n, k) => n + k.objects, 0);
    figures.wallMs.push(result.wallMs);
    figures.peakRss.push(result.peakRss);
    figures.last = result;
    rmSync(db, { force: true });
  }
  return figures;
}

/**
 * The fake cluster (20,000 objects unless told) in a child process of its own, and a kubeconfig
 * (context `bench`) pointing at it; `stop` ends the child and removes both.
 */
export async function benchCluster(objects = OBJECTS): Promise<{ info: ChildInfo; kubeconfig: string; stop: () => void }> {
  const { proc, value: info } = await child<ChildInfo>(`serveBenchCluster(${objects})`);
  const dir = mkdtempSync(join(tmpdir(), 'stopgap-bench-kube-'));
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  writeFileSync(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'bench', cluster: { server: info.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'bench', user: { token: info.token } }],
      contexts: [{ name: 'bench', context: { cluster: 'bench', user: 'bench' } }],
      'current-context': 'bench',
    }),
  );
  return {
    info,
    kubeconfig,
    stop: () => {
      proc.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function benchScan(): Promise<void> {
  buildOnce();
  const started = Date.now();
  const { info, kubeconfig, stop } = await benchCluster();
  console.log(
    `fake cluster (own process): ${info.objects} objects, Deployments/ConfigMaps/Services with managedFields and ` +
      `last-applied, 1% changed by hand; ready in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  const work = mkdtempSync(join(tmpdir(), 'stopgap-bench-db-'));
  try {
    // Baseline: the same CLI doing nothing but start up and load its modules.
    const baseWall: number[] = [];
    const baseRss: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const result = await runCli(['--help'], { PATH: process.env['PATH'] ?? '', NODE_OPTIONS: '' }, work);
      if (result.code !== 0) failRun('stopgap --help', result, '0');
      baseWall.push(result.wallMs);
      baseRss.push(result.peakRss);
    }
    const baseMs = median(baseWall);
    const baseBytes = median(baseRss);
    console.log(
      `baseline: node dist/src/cli.js --help (start-up + module loading): median ${secs(baseMs)} s of ${RUNS} ` +
        `(${baseWall.map(secs).join(', ')} s), peak RSS ${mb(baseBytes)}`,
    );

    const variants: [string, unknown][] = [
      ['last-applied', { type: 'last-applied' }],
      ['directory', { type: 'directory', path: info.manifests }],
    ];
    for (const [label, desired] of variants) {
      const r = await scanRuns(label, desired, work, kubeconfig);
      const wall = median(r.wallMs);
      const rss = median(r.peakRss);
      console.log(
        `scan ${r.objects} objects, desired=${label} (node dist/src/cli.js scan --json, wall time spawn to exit): ` +
          `median ${secs(wall)} s of ${RUNS} (${r.wallMs.map(secs).join(', ')} s), ${Math.round(r.objects / (wall / 1000))} objects/s, ` +
          `${r.findings} findings; target < 10 s`,
      );
      console.log(
        `  vs --help: +${secs(wall - baseMs)} s (${(wall / baseMs).toFixed(1)}x); peak RSS ${mb(rss)} of ${RUNS} ` +
          `(${r.peakRss.map(mb).join(', ')}; target < 300 MB): +${mb(rss - baseBytes)} over --help (${(rss / baseBytes).toFixed(1)}x)`,
      );
      if (rss > 300 * 1024 * 1024) {
        // Over target with V8's default heap sizing: show what a container memory limit gives (V8
        // sizes its old generation from it), and where the memory was at exit.
        const at = r.last?.atExit;
        if (at) {
          console.log(
            `  at exit (last run, no final GC, so garbage included): rss ${mb(at.rss)}, V8 heap ${mb(at.heapUsed)} used of ${mb(at.heapTotal)}, ` +
              `external ${mb(at.external)} (array buffers ${mb(at.arrayBuffers)}), other ${mb(at.rss - at.heapTotal - at.external)}`,
          );
        }
        const CAP = ['--max-old-space-size=160'];
        const c = await scanRuns(label, desired, work, kubeconfig, CAP);
        const cWall = median(c.wallMs);
        console.log(
          `  as under a container memory limit (node ${CAP.join(' ')}): median ${secs(cWall)} s, ` +
            `${Math.round(c.objects / (cWall / 1000))} objects/s, peak RSS ${mb(median(c.peakRss))} (${c.peakRss.map(mb).join(', ')}), ${c.findings} findings`,
        );
      }
    }
  } finally {
    stop();
    rmSync(work, { recursive: true, force: true });
  }
}
