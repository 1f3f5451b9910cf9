/**
 * Scan benchmark: one full pass over a 20,000-object cluster served by the fake API server.
 *
 * The fake runs in a child process so that the figures are the scanner's alone: wall time (median
 * of 3 runs, fresh database each) and the peak RSS of this process. Two desired-state sources are
 * measured: `last-applied` (desired state inside each live object) and a generated manifest
 * directory (YAML, one file per namespace). Targets: under 10 s, under 300 MB.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { ClusterConfig, DriftConfig } from '../src/config/clusters.js';
import { countActiveFindings, ensureFingerprintKey } from '../src/drift/findings.js';
import { makeFingerprint } from '../src/drift/fingerprint.js';
import type { KubeObject } from '../src/drift/types.js';
import { scanCluster, scanSettingsFrom } from '../src/k8s/scanner.js';
import { openMigratedDb } from '../src/store/db.js';

const OBJECTS = 20_000;
const NAMESPACES = 100;
const RUNS = 3;
const DRIFT_EVERY = 100; // 1% of objects changed by hand
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const HERE = dirname(fileURLToPath(import.meta.url));

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
 * Child-process entry: fills a fake API server with 20,000 objects (2 Deployments and 2 ConfigMaps
 * for each Service), writes the matching manifest directory, and prints where both are.
 */
export async function serveBenchCluster(): Promise<void> {
  const { startFakeKube } = await import('../test/support/fake-k8s.js');
  const fake = await startFakeKube();
  const dir = mkdtempSync(join(tmpdir(), 'stopgap-bench-scan-'));
  const manifests = join(dir, 'manifests');
  const perNamespace = new Map<string, KubeObject[]>();
  let count = 0;
  for (let i = 0; count < OBJECTS; i++) {
    const namespace = `team-ns-${i % NAMESPACES}`;
    const parts = [deployment(i, namespace), configMap(i, namespace)];
    if (i % 2 === 0) parts.push(service(i, namespace));
    for (const { desired, live } of parts) {
      if (count >= OBJECTS) break;
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

// --- the scanner (one child process per desired-state source) ---------------------------------

interface ChildInfo {
  url: string;
  token: string;
  dir: string;
  manifests: string;
  objects: number;
}

interface VariantResult {
  label: string;
  times: number[];
  objects: number;
  findings: number;
  baselineRss: number;
  peakRss: number;
  retainedHeap: number;
}

/**
 * Child-process entry: three full scans with one desired-state source, each into a fresh
 * database. Runs in its own process so that its peak RSS is its own, not the benchmark runner's.
 */
export async function runScanVariant(kubeconfig: string, label: string, desired: unknown, work: string): Promise<void> {
  const baselineRss = process.memoryUsage().rss; // modules loaded: tsx, @kubernetes/client-node, sqlite
  const drift = DriftConfig.parse({});
  const settings = scanSettingsFrom(drift);
  const times: number[] = [];
  let findings = 0;
  let objects = 0;
  for (let run = 0; run < RUNS; run++) {
    const db = openMigratedDb(join(work, `${label}-${process.pid}-${run}.db`));
    const fingerprint = makeFingerprint(ensureFingerprintKey(db));
    const cluster = ClusterConfig.parse({ name: 'bench', kubeconfig, desired, kinds: ['Deployment', 'ConfigMap', 'Service'] });
    const t0 = performance.now();
    const outcome = await scanCluster(cluster, { db, drift, settings, fingerprint, env: {} });
    times.push(performance.now() - t0);
    if (!outcome.ok) throw new Error(`bench scan failed: ${JSON.stringify(outcome.error ?? outcome.kinds)}`);
    objects = outcome.kinds.reduce((n, k) => n + k.objects, 0);
    findings = countActiveFindings(db);
    db.close();
  }
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const result: VariantResult = {
    label,
    times,
    objects,
    findings,
    baselineRss,
    peakRss: process.resourceUsage().maxRSS * 1024,
    retainedHeap: process.memoryUsage().heapUsed,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

// --- the benchmark (this process) ---------------------------------------------------------------

/** Runs `fn` of this module in a child process (tsx, like the benchmark) and reads its JSON line. */
async function child<T>(call: string, options: { keep?: boolean; nodeArgs?: string[] } = {}): Promise<{ proc: ChildProcess; value: T }> {
  const self = resolve(HERE, 'scan.ts');
  const proc = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), '--import', 'tsx', '--input-type=module', '-e', `const m = await import(${JSON.stringify(self)}); await m.${call};`],
    // Each child has its own memory settings, not this process's.
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_OPTIONS: '' } },
  );
  const lines = createInterface({ input: proc.stdout as NodeJS.ReadableStream });
  const value = await new Promise<T>((resolveValue, reject) => {
    proc.once('exit', (code) => reject(new Error(`bench child ${call.slice(0, 40)} exited with ${code}`)));
    lines.once('line', (line) => resolveValue(JSON.parse(line) as T));
  });
  return { proc, value };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

export async function benchScan(): Promise<void> {
  const started = Date.now();
  const { proc: cluster, value: info } = await child<ChildInfo>('serveBenchCluster()');
  console.log(
    `fake cluster (own process): ${info.objects} objects, Deployments/ConfigMaps/Services with managedFields and ` +
      `last-applied, 1% changed by hand; ready in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  const work = mkdtempSync(join(tmpdir(), 'stopgap-bench-db-'));
  const kubeconfig = join(work, 'kubeconfig.yaml');
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
  // The same scans again with the old generation capped, as a container's memory limit would: V8
  // otherwise lets garbage grow to a multiple of the live heap before collecting it.
  const HEAP_CAP = ['--max-old-space-size=160'];
  const variants: [string, unknown, string[]][] = [
    ['last-applied', { type: 'last-applied' }, []],
    ['directory', { type: 'directory', path: info.manifests }, []],
    ['last-applied', { type: 'last-applied' }, HEAP_CAP],
    ['directory', { type: 'directory', path: info.manifests }, HEAP_CAP],
  ];
  try {
    for (const [label, desired, nodeArgs] of variants) {
      const args = [kubeconfig, label, desired, work].map((a) => JSON.stringify(a)).join(', ');
      const { value: r } = await child<VariantResult>(`runScanVariant(${args})`, { nodeArgs: ['--expose-gc', ...nodeArgs] });
      const wall = median(r.times);
      console.log(
        `scan ${r.objects} objects, desired=${label}${nodeArgs.length ? ` (node ${nodeArgs.join(' ')})` : ''}: median ${(wall / 1000).toFixed(2)} s of ${RUNS} ` +
          `(${r.times.map((t) => (t / 1000).toFixed(2)).join(', ')} s), ${Math.round(r.objects / (wall / 1000))} objects/s, ` +
          `${r.findings} findings; target < 10 s`,
      );
      console.log(
        `  peak RSS ${mb(r.peakRss)} (target < 300 MB): ${mb(r.baselineRss)} before the first scan (node + tsx + ` +
          `@kubernetes/client-node), heap retained after ${RUNS} scans ${mb(r.retainedHeap)}`,
      );
    }
  } finally {
    cluster.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  }
}
