/**
 * Codify throughput: patches for 1,000 changes over a manifests directory of 5,000 files (a
 * Deployment, its Service and sometimes a ConfigMap per file, commented, some files multi-document).
 * Each change codifies one or two objects (scaled, image rolled back, an env var or an annotation
 * added by hand, a ConfigMap key edited). The directory is indexed once (`loadManifestIndex`) and the
 * index reused by every request, as `serve` would; both times are printed. Target: the 1,000
 * patches in under 2 s. Printed, never asserted.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codify, loadManifestIndex } from '../src/codify/codify.js';
import { prng } from './diff.js';
import type { FieldToCodify, ObjectToCodify } from '../src/codify/types.js';

const FILES = 5_000;
const CHANGES = 1_000;
const RUNS = 5;
const TARGET_MS = 2_000;

function manifestFile(i: number): string {
  const name = `svc-${i}`;
  const ns = `team-${i % 40}`;
  const deployment = `# ${name}: owned by ${ns}; scale by PR.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${ns}
  labels:
    app: ${name}  # selected by the Service
spec:
  replicas: ${1 + (i % 5)}
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
    spec:
      containers:
        - name: app
          image: "registry.example.com/${ns}/${name}:1.${i % 30}.0"
          env:
            - name: LOG_LEVEL
              value: info
          resources:
            limits:
              cpu: 500m
              memory: 512Mi
        - name: proxy
          image: envoyproxy/envoy:v1.29.1
`;
  const service = `# In front of ${name}.
apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  selector:
    app: ${name}
  ports:
    - port: 80
      targetPort: 8080
`;
  const config = `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}-settings
  namespace: ${ns}
data:
  FEATURE_FLAGS: 'a,b'
  app.properties: |
    timeout.ms=2000
`;
  return [deployment, service, ...(i % 3 === 0 ? [config] : [])].join('---\n');
}

function changes(rand: () => number): ObjectToCodify[][] {
  const out: ObjectToCodify[][] = [];
  for (let c = 0; c < CHANGES; c++) {
    const i = Math.floor(rand() * FILES);
    const name = `svc-${i}`;
    const namespace = `team-${i % 40}`;
    const fields: FieldToCodify[] = [{ path: '/spec/replicas', kind: 'changed', desired: 1 + (i % 5), live: 8, sensitive: false }];
    if (rand() < 0.5) fields.push({ path: '/spec/template/spec/containers/name=app/image', kind: 'changed', desired: '', live: `registry.example.com/${namespace}/${name}:1.0.9`, sensitive: false });
    if (rand() < 0.3) fields.push({ path: '/spec/template/spec/containers/name=app/env/name=DEBUG', kind: 'extra', desired: undefined, live: { name: 'DEBUG', value: 'true' }, sensitive: false });
    if (rand() < 0.3) fields.push({ path: '/metadata/annotations/example.com~1incident', kind: 'extra', desired: undefined, live: 'INC-4821', sensitive: false });
    const objects: ObjectToCodify[] = [{ ref: { group: 'apps', version: 'v1', kind: 'Deployment', namespace, name }, source: 'directory', fields }];
    if (i % 3 === 0 && rand() < 0.5) {
      objects.push({
        ref: { group: '', version: 'v1', kind: 'ConfigMap', namespace, name: `${name}-settings` },
        source: 'directory',
        fields: [{ path: '/data/FEATURE_FLAGS', kind: 'changed', desired: 'a,b', live: 'a', sensitive: false }],
      });
    }
    out.push(objects);
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export async function benchCodify(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'stopgap-bench-codify-'));
  try {
    for (let i = 0; i < FILES; i++) {
      const dir = join(root, `team-${i % 40}`);
      if (i < 40) mkdirSync(dir);
      writeFileSync(join(dir, `svc-${i}.yaml`), manifestFile(i));
    }
    const work = changes(prng(0xc0d1f7));
    const fields = work.reduce((n, objects) => n + objects.reduce((m, o) => m + o.fields.length, 0), 0);

    const loads: number[] = [];
    let index = await loadManifestIndex(root);
    for (let run = 0; run < 3; run++) {
      const start = performance.now();
      index = await loadManifestIndex(root);
      loads.push(performance.now() - start);
    }

    // Warm-up: the JIT sees every path before timing.
    for (const objects of work.slice(0, 100)) await codify({ root, objects, index });
    const times: number[] = [];
    let written = 0;
    let lines = 0;
    for (let run = 0; run < RUNS; run++) {
      written = 0;
      lines = 0;
      const start = performance.now();
      for (const objects of work) {
        const result = await codify({ root, objects, index });
        written += result.written.length;
        lines += result.patch.split('\n').length;
      }
      times.push(performance.now() - start);
    }
    const ms = median(times);
    console.log(`${FILES.toLocaleString('en-US')} manifest files (${index.find({ group: 'apps', kind: 'Deployment', namespace: 'team-0', name: 'svc-0' })?.file ?? '?'} …), indexed once: median ${Math.round(median(loads))} ms`);
    console.log(`${CHANGES.toLocaleString('en-US')} changes, ${fields.toLocaleString('en-US')} drifted fields, ${written.toLocaleString('en-US')} written, ${lines.toLocaleString('en-US')} patch lines`);
    console.log(`patches for ${CHANGES.toLocaleString('en-US')} changes: median ${Math.round(ms)} ms of ${RUNS} runs (${(ms / CHANGES).toFixed(2)} ms a change; target under ${TARGET_MS.toLocaleString('en-US')} ms: ${ms < TARGET_MS ? 'met' : 'NOT met'})`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
