/**
 * Drift engine throughput: 10,000 realistic Deployment pairs (desired as rendered from git; live as
 * the API server returns it: server defaults, canonical quantities, managedFields, status, sometimes
 * a last-applied annotation), a few percent with a real manual change. Compared with microdiff, a
 * generic deep-diff library, on the same pairs in the same run.
 */
import microdiff from 'microdiff';
import { diffObjects } from '../src/drift/diff.js';
import type { KubeObject } from '../src/drift/types.js';

type Obj = Record<string, unknown>;

const PAIRS = 10_000;
const RUNS = 7;
const TARGET = 20_000;

/** Deterministic PRNG (mulberry32) so every run measures the same pairs. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYED: Record<string, (item: Obj) => Obj> = {
  containers: (i) => ({ name: i['name'] }),
  volumes: (i) => ({ name: i['name'] }),
  env: (i) => ({ name: i['name'] }),
  volumeMounts: (i) => ({ mountPath: i['mountPath'] }),
  ports: (i) => ({ containerPort: i['containerPort'], protocol: i['protocol'] ?? 'TCP' }),
};

/** The fieldsV1 set a server-side apply of `value` records. */
function fieldsOf(value: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(value)) {
    const keyed = KEYED[k];
    if (Array.isArray(v) && keyed) {
      const items: Obj = { '.': {} };
      for (const item of v as Obj[]) items[`k:${JSON.stringify(keyed(item))}`] = { '.': {}, ...fieldsOf(item) };
      out[`f:${k}`] = items;
    } else if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length && k !== 'selector') {
      out[`f:${k}`] = fieldsOf(v as Obj);
    } else {
      out[`f:${k}`] = {};
    }
  }
  return out;
}

const CPU_SPELLINGS: [unknown, string][] = [[0.1, '100m'], ['250m', '250m'], [0.5, '500m'], [1, '1'], ['1000m', '1'], ['2', '2']];
const MEM_SPELLINGS: [string, string][] = [['128Mi', '128Mi'], ['256Mi', '256Mi'], ['1024Mi', '1Gi'], ['1Gi', '1Gi'], ['2048Mi', '2Gi'], ['512Mi', '512Mi']];

interface Pair {
  desired: KubeObject;
  live: KubeObject;
  drift: boolean;
}

function makePair(i: number, rand: () => number): Pair {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const name = `svc-${i}`;
  const namespace = `team-${i % 40}`;
  const labels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': namespace, 'app.kubernetes.io/managed-by': 'argocd' };
  const containers: Obj[] = [];
  const nContainers = 1 + Math.floor(rand() * 3);
  for (let c = 0; c < nContainers; c++) {
    const [cpuD] = pick(CPU_SPELLINGS);
    const [memD] = pick(MEM_SPELLINGS);
    const env = Array.from({ length: Math.floor(rand() * 8) }, (_, e) =>
      e % 3 === 2
        ? { name: `SECRET_${e}`, valueFrom: { secretKeyRef: { name: `${name}-secrets`, key: `k${e}` } } }
        : { name: `VAR_${e}`, value: `value-${i}-${e}` },
    );
    const container: Obj = {
      name: c === 0 ? 'app' : `sidecar-${c}`,
      image: `registry.example.com/${namespace}/${name}-${c}:v1.${i % 17}.${c}`,
      ports: Array.from({ length: 1 + Math.floor(rand() * 2) }, (_, p) => ({ name: `p${p}`, containerPort: 8080 + p })),
      resources: { requests: { cpu: cpuD, memory: memD }, limits: { memory: memD } },
      volumeMounts: [{ name: 'config', mountPath: `/etc/${name}/${c}` }],
    };
    if (env.length) container['env'] = env;
    if (c === 0) container['readinessProbe'] = { httpGet: { path: '/ready', port: 'p0' }, initialDelaySeconds: 5 };
    containers.push(container);
  }
  const desired: Obj = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels },
    spec: {
      replicas: 1 + (i % 5),
      selector: { matchLabels: { 'app.kubernetes.io/name': name } },
      template: {
        metadata: { labels: { 'app.kubernetes.io/name': name }, annotations: { 'prometheus.io/scrape': 'true' } },
        spec: { serviceAccountName: name, containers, volumes: [{ name: 'config', configMap: { name: `${name}-config` } }] },
      },
    },
  };

  // Live: what the API server returns.
  const live = JSON.parse(JSON.stringify(desired)) as Obj;
  const spec = live['spec'] as Obj;
  Object.assign(spec, { progressDeadlineSeconds: 600, revisionHistoryLimit: 10, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } });
  const template = spec['template'] as { metadata: Obj; spec: Obj & { containers: Obj[]; volumes: Obj[] } };
  template.metadata['creationTimestamp'] = null;
  Object.assign(template.spec, { dnsPolicy: 'ClusterFirst', restartPolicy: 'Always', schedulerName: 'default-scheduler', securityContext: {}, terminationGracePeriodSeconds: 30, serviceAccount: name });
  for (const c of template.spec.containers) {
    Object.assign(c, { imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' });
    for (const p of c['ports'] as Obj[]) p['protocol'] = 'TCP';
    const res = c['resources'] as { requests: Obj; limits: Obj };
    const cpu = CPU_SPELLINGS.find(([d]) => d === res.requests['cpu'])?.[1];
    const mem = MEM_SPELLINGS.find(([d]) => d === res.requests['memory'])?.[1];
    c['resources'] = { limits: { memory: mem }, requests: { cpu, memory: mem } };
    const probe = c['readinessProbe'] as Obj | undefined;
    if (probe) {
      Object.assign(probe, { failureThreshold: 3, periodSeconds: 10, successThreshold: 1, timeoutSeconds: 1 });
      (probe['httpGet'] as Obj)['scheme'] = 'HTTP';
    }
  }
  (template.spec.volumes[0]?.['configMap'] as Obj)['defaultMode'] = 420;

  const managers: Obj[] = [];
  const annotations: Obj = { 'deployment.kubernetes.io/revision': String(1 + (i % 9)) };
  const clientSideApply = i % 3 === 0;
  if (clientSideApply) {
    annotations['kubectl.kubernetes.io/last-applied-configuration'] = JSON.stringify(desired);
    managers.push({ manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'apps/v1', time: '2025-02-01T10:00:00Z', fieldsType: 'FieldsV1', fieldsV1: fieldsOf({ metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '' }, labels }, spec }) });
  } else {
    managers.push({ manager: 'argocd-controller', operation: 'Apply', apiVersion: 'apps/v1', time: '2025-02-01T10:00:00Z', fieldsType: 'FieldsV1', fieldsV1: fieldsOf({ metadata: { labels }, spec: desired['spec'] as Obj }) });
  }
  managers.push({
    manager: 'kube-controller-manager', operation: 'Update', subresource: 'status', apiVersion: 'apps/v1', time: '2025-02-03T08:00:00Z', fieldsType: 'FieldsV1',
    fieldsV1: { 'f:metadata': { 'f:annotations': { 'f:deployment.kubernetes.io/revision': {} } }, 'f:status': { 'f:availableReplicas': {}, 'f:observedGeneration': {}, 'f:readyReplicas': {}, 'f:replicas': {}, 'f:updatedReplicas': {} } },
  });

  // A few percent carry a real manual change, each owned by the kubectl command that made it.
  let drift = false;
  const roll = rand();
  const app = template.spec.containers[0] as Obj;
  const appKey = 'k:{"name":"app"}';
  if (roll < 0.01) {
    spec['replicas'] = (spec['replicas'] as number) + 3;
    managers.push({ manager: 'kubectl', operation: 'Update', subresource: 'scale', time: '2025-03-04T02:47:19Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } });
    drift = true;
  } else if (roll < 0.02) {
    app['image'] = `${String(app['image'])}-rollback`;
    managers.push({ manager: 'kubectl-set', operation: 'Update', time: '2025-03-04T02:52:03Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { [appKey]: { 'f:image': {} } } } } } } });
    drift = true;
  } else if (roll < 0.03) {
    ((app['resources'] as Obj)['limits'] as Obj)['memory'] = '4Gi';
    managers.push({ manager: 'kubectl-set', operation: 'Update', time: '2025-03-04T03:05:44Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { [appKey]: { 'f:resources': { 'f:limits': { 'f:memory': {} } } } } } } } } });
    drift = true;
  } else if (roll < 0.04) {
    app['env'] = [...((app['env'] as Obj[] | undefined) ?? []), { name: 'KILL_SWITCH', value: 'on' }];
    managers.push({ manager: 'kubectl-set', operation: 'Update', time: '2025-03-04T03:11:26Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { [appKey]: { 'f:env': { 'k:{"name":"KILL_SWITCH"}': { '.': {}, 'f:name': {}, 'f:value': {} } } } } } } } } });
    drift = true;
  }

  live['metadata'] = {
    annotations,
    creationTimestamp: '2025-02-01T10:00:00Z',
    generation: 3 + (i % 11),
    labels,
    managedFields: managers,
    name,
    namespace,
    resourceVersion: String(40_000_000 + i),
    uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  };
  live['status'] = { availableReplicas: spec['replicas'], observedGeneration: 3, readyReplicas: spec['replicas'], replicas: spec['replicas'], updatedReplicas: spec['replicas'] };
  // Fresh objects, as JSON.parse of an API response would give.
  return { desired: JSON.parse(JSON.stringify(desired)) as KubeObject, live: JSON.parse(JSON.stringify(live)) as KubeObject, drift };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function measure(pairs: readonly Pair[], fn: (p: Pair) => number): { rate: number; total: number } {
  let total = 0;
  fn(pairs[0] as Pair); // keep the call site warm between runs
  const rates: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    total = 0;
    const start = process.hrtime.bigint();
    for (const p of pairs) total += fn(p);
    const ns = Number(process.hrtime.bigint() - start);
    rates.push(pairs.length / (ns / 1e9));
  }
  return { rate: median(rates), total };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

export async function benchDiff(): Promise<void> {
  const rand = prng(0x5709a9);
  const pairs = Array.from({ length: PAIRS }, (_, i) => makePair(i, rand));
  const injected = pairs.filter((p) => p.drift).length;

  // Warm-up: let the JIT see both code paths before timing.
  for (let i = 0; i < 3; i++) for (const p of pairs) { diffObjects(p.desired, p.live); microdiff(p.desired, p.live); }

  let wrong = 0;
  for (const p of pairs) if (diffObjects(p.desired, p.live).inSync === p.drift) wrong++;
  const ours = measure(pairs, (p) => (diffObjects(p.desired, p.live).inSync ? 0 : 1));
  const base = measure(pairs, (p) => microdiff(p.desired, p.live).length);

  const perPair = (rate: number) => `${(1e6 / rate).toFixed(1)} µs/pair`;
  console.log(`diff: ${fmt(PAIRS)} Deployment pairs (live with server defaults, managedFields, status; ${injected} with a manual change), median of ${RUNS} runs`);
  console.log(`  stopgap diffObjects   ${fmt(ours.rate).padStart(9)} pairs/s  (${perPair(ours.rate)})  drift in ${ours.total}/${PAIRS}, ${wrong} wrong verdicts`);
  console.log(`  microdiff (baseline)  ${fmt(base.rate).padStart(9)} pairs/s  (${perPair(base.rate)})  ${(base.total / PAIRS).toFixed(1)} raw differences per pair, every pair "different"`);
  console.log(`  ratio stopgap/microdiff: ${(ours.rate / base.rate).toFixed(2)}x`);
  console.log(`  target >= ${fmt(TARGET)} pairs/s: ${ours.rate >= TARGET ? 'met' : 'NOT MET'}`);
}
