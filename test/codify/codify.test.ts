import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { codify, loadManifestIndex } from '../../src/codify/codify.js';
import type { CodifyResult, FieldToCodify, ObjectToCodify } from '../../src/codify/types.js';
import { parseManifests } from '../../src/drift/sources/manifests.js';
import { valueAtPath } from '../../src/drift/pointer.js';
import type { ObjectRef } from '../../src/drift/types.js';
import { gitApply, gitApplyCheck, gitRepo, readText, removeRepo } from './git.js';

const FIXTURES = new URL('../fixtures/codify/', import.meta.url).pathname;
const GITOPS = join(FIXTURES, 'gitops');
const KUSTOMIZE = join(FIXTURES, 'kustomize');

const repos: string[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) removeRepo(r);
});

/** A copy of a fixture directory in a temporary git repository. */
function copyOf(root: string): string {
  const dir = gitRepo({});
  cpSync(root, dir, { recursive: true });
  repos.push(dir);
  return dir;
}

/** The patch must be one `git apply --check` accepts in a copy of the root; returns the copy with it applied. */
function applied(root: string, result: CodifyResult): string {
  const dir = copyOf(root);
  const check = gitApplyCheck(dir, result.patch);
  expect(check.stderr).toBe('');
  expect(check.ok).toBe(true);
  gitApply(dir, result.patch);
  return dir;
}

/** The object as the scanner reads it from a file of `dir`. */
function declared(dir: string, file: string, name: string): Record<string, unknown> {
  const found = parseManifests(readText(dir, file), file).manifests.find((m) => m.ref.name === name);
  if (!found) throw new Error(`${file} declares no ${name}`);
  return found.object;
}

const deploy = (name: string, namespace = 'shop'): ObjectRef => ({ group: 'apps', version: 'v1', kind: 'Deployment', namespace, name });
const changed = (path: string, desired: unknown, live: unknown): FieldToCodify => ({ path, kind: 'changed', desired, live, sensitive: false });
const extra = (path: string, live: unknown): FieldToCodify => ({ path, kind: 'extra', desired: undefined, live, sensitive: false });
const missing = (path: string, desired: unknown): FieldToCodify => ({ path, kind: 'missing', desired, live: undefined, sensitive: false });
const object = (ref: ObjectRef, ...fields: FieldToCodify[]): ObjectToCodify => ({ ref, source: 'directory', fields });

const API = '/spec/template/spec/containers/name=api';

describe('codify: a scaled Deployment with its image rolled back, in a commented multi-document file', () => {
  it('writes replicas and the image into their document, keeping comments, quotes and the other document', async () => {
    const result = await codify({
      root: GITOPS,
      objects: [
        object(
          deploy('payments-api'),
          changed('/spec/replicas', 3, 10),
          changed(`${API}/image`, 'registry.example.com/shop/payments-api:1.8.0', 'registry.example.com/shop/payments-api:1.7.4'),
        ),
      ],
    });
    expect(result.notWritten).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.files).toEqual(['apps/shop.yaml']);
    expect(result.written.map((w) => [w.path, w.file, w.line])).toEqual([
      ['/spec/replicas', 'apps/shop.yaml', 12],
      [`${API}/image`, 'apps/shop.yaml', 24],
    ]);
    expect(result.patch).toBe(`diff --git a/apps/shop.yaml b/apps/shop.yaml
--- a/apps/shop.yaml
+++ b/apps/shop.yaml
@@ -9,7 +9,7 @@
   labels:
     app: payments-api  # the Service selects on this
 spec:
-  replicas: 3  # baseline; scale by PR, not by hand
+  replicas: 10  # baseline; scale by PR, not by hand
   selector:
     matchLabels:
       app: payments-api
@@ -21,7 +21,7 @@
       containers:
         # The API itself.
         - name: api
-          image: "registry.example.com/shop/payments-api:1.8.0"  # PR #412
+          image: "registry.example.com/shop/payments-api:1.7.4"  # PR #412
           ports:
             - containerPort: 8080
           resources:
`);
    const dir = applied(GITOPS, result);
    const after = declared(dir, 'apps/shop.yaml', 'payments-api');
    expect(valueAtPath(after, '/spec/replicas')).toBe(10);
    expect(valueAtPath(after, `${API}/image`)).toBe('registry.example.com/shop/payments-api:1.7.4');
  });

  it('edits the image of the right container of several', async () => {
    const result = await codify({
      root: GITOPS,
      objects: [object(deploy('payments-api'), changed('/spec/template/spec/containers/name=proxy/image', 'envoyproxy/envoy:v1.29.1', 'envoyproxy/envoy:v1.28.0'))],
    });
    expect(result.patch).toContain('-          image: envoyproxy/envoy:v1.29.1\n+          image: envoyproxy/envoy:v1.28.0\n');
    expect(result.patch).not.toContain('payments-api:1.8.0"  # PR #412\n+');
    const after = declared(applied(GITOPS, result), 'apps/shop.yaml', 'payments-api');
    expect(valueAtPath(after, `${API}/image`)).toBe('registry.example.com/shop/payments-api:1.8.0');
    expect(valueAtPath(after, '/spec/template/spec/containers/name=proxy/image')).toBe('envoyproxy/envoy:v1.28.0');
  });

  it('adds an env var set by hand, to a container with env and to one without, at the file own indentation', async () => {
    const result = await codify({
      root: GITOPS,
      objects: [
        object(deploy('payments-api'), extra(`${API}/env/name=DEBUG`, { name: 'DEBUG', value: 'true' })),
        object(deploy('checkout'), extra('/spec/template/spec/containers/name=web/env/name=TRACE', { name: 'TRACE', value: '1' })),
      ],
    });
    expect(result.notWritten).toEqual([]);
    expect(result.patch).toContain(`               cpu: 500m
+          env:
+            - name: DEBUG
+              value: "true"
`);
    // checkout.yaml indents by four, with `-   ` items: a new item follows its neighbours.
    expect(result.patch).toContain(`                     value: info
+                -   name: TRACE
+                    value: "1"
`);
    const dir = applied(GITOPS, result);
    expect(valueAtPath(declared(dir, 'apps/shop.yaml', 'payments-api'), `${API}/env`)).toEqual([{ name: 'DEBUG', value: 'true' }]);
    expect(valueAtPath(declared(dir, 'apps/checkout.yaml', 'checkout'), '/spec/template/spec/containers/name=web/env')).toEqual([
      { name: 'LOG_LEVEL', value: 'info' },
      { name: 'TRACE', value: '1' },
    ]);
  });

  it('removes a container removed by hand, its comment line kept', async () => {
    const result = await codify({ root: GITOPS, objects: [object(deploy('payments-api'), missing('/spec/template/spec/containers/name=proxy', { name: 'proxy' }))] });
    expect(result.patch).toContain(`         # Envoy in front of it.
-        - name: proxy
-          image: envoyproxy/envoy:v1.29.1
-          ports:
-            - containerPort: 9901
 ---
`);
    applied(GITOPS, result);
  });
});

describe('codify: quantities keep the file spelling', () => {
  it('writes 1Gi as 1024Mi where the file says Mi, 1 as 1000m where it says m, 750m as 0.75 where it wrote a number', async () => {
    const C = '/spec/template/spec/containers/name=web/resources';
    const result = await codify({
      root: GITOPS,
      objects: [
        object(deploy('payments-api'), changed(`${API}/resources/limits/memory`, '512Mi', '1Gi'), changed(`${API}/resources/limits/cpu`, '500m', '1')),
        object(deploy('checkout'), changed(`${C}/requests/cpu`, 0.5, '750m'), changed(`${C}/limits/memory`, '1Gi', '1536Mi'), changed(`${C}/limits/cpu`, '1000m', '1.5')),
      ],
    });
    expect(result.notWritten).toEqual([]);
    expect(result.patch).toContain('-              memory: 512Mi\n-              cpu: 500m\n+              memory: 1024Mi\n+              cpu: 1000m\n');
    expect(result.patch).toContain('-                        cpu: 0.5\n+                        cpu: 0.75\n');
    // 1.5Gi is not a whole number of Gi: written as the cluster spells it.
    expect(result.patch).toContain('-                        cpu: 1000m\n-                        memory: 1Gi\n+                        cpu: 1500m\n+                        memory: 1536Mi\n');
    const after = declared(applied(GITOPS, result), 'apps/checkout.yaml', 'checkout');
    expect(valueAtPath(after, `${C}/requests/cpu`)).toBe(0.75);
  });

  it('spells an added request like the matching limit, and one with no match as the cluster does', async () => {
    const result = await codify({
      root: GITOPS,
      objects: [object(deploy('payments-api'), extra(`${API}/resources/requests/memory`, '1Gi'), extra(`${API}/resources/limits/ephemeral-storage`, '2Gi'))],
    });
    expect(result.notWritten).toEqual([]);
    expect(result.patch).toContain('+              ephemeral-storage: 2Gi\n+            requests:\n+              memory: 1024Mi\n');
    applied(GITOPS, result);
  });
});

describe('codify: ConfigMaps, annotations, Lists and JSON', () => {
  const settings = { group: '', version: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'shop-settings' };

  it('edits a data key (a literal block stays a literal block, a quoted value stays quoted) and adds one', async () => {
    const result = await codify({
      root: GITOPS,
      objects: [
        {
          ref: settings,
          source: 'directory',
          fields: [
            changed('/data/app.properties', 'timeout.ms=2000\npool.size=10\n', 'timeout.ms=5000\npool.size=10\n'),
            changed('/data/FEATURE_FLAGS', 'checkout-v2,fast-refunds', 'checkout-v2'),
            extra('/data/maintenance', 'true'),
          ],
        },
      ],
    });
    expect(result.notWritten).toEqual([]);
    expect(result.patch).toBe(`diff --git a/config/settings.yaml b/config/settings.yaml
--- a/config/settings.yaml
+++ b/config/settings.yaml
@@ -5,8 +5,9 @@
   namespace: shop
 data:
   # Read at start-up.
-  FEATURE_FLAGS: 'checkout-v2,fast-refunds'
+  FEATURE_FLAGS: 'checkout-v2'
   retries: "3"
   app.properties: |
-    timeout.ms=2000
+    timeout.ms=5000
     pool.size=10
+  maintenance: "true"
`);
    const after = declared(applied(GITOPS, result), 'config/settings.yaml', 'shop-settings');
    expect(after['data']).toEqual({ FEATURE_FLAGS: 'checkout-v2', retries: '3', 'app.properties': 'timeout.ms=5000\npool.size=10\n', maintenance: 'true' });
  });

  it('adds an annotation to an object that had none', async () => {
    const result = await codify({ root: GITOPS, objects: [object(deploy('payments-api'), extra('/metadata/annotations/example.com~1paused-by', 'alice during INC-4821'))] });
    expect(result.patch).toContain(`     app: payments-api  # the Service selects on this
+  annotations:
+    example.com/paused-by: alice during INC-4821
 spec:
`);
    applied(GITOPS, result);
  });

  it('edits the right item of a kind: List, keeping its comment', async () => {
    const ref = { group: '', version: 'v1', kind: 'ConfigMap', namespace: 'jobs', name: 'worker-b' };
    const result = await codify({ root: GITOPS, objects: [{ ref, source: 'directory', fields: [changed('/data/queue', 'refunds', 'refunds-v2')] }] });
    expect(result.patch).toContain('-      queue: refunds   # the slow one\n+      queue: refunds-v2   # the slow one\n');
    applied(GITOPS, result);
  });

  it('removes a kind: List item deleted by hand', async () => {
    const ref = { group: '', version: 'v1', kind: 'ConfigMap', namespace: 'jobs', name: 'worker-a' };
    const result = await codify({ root: GITOPS, objects: [{ ref, source: 'directory', fields: [missing('', {})] }] });
    expect(result.written).toEqual([{ ref, path: '', file: 'lists/workers.yaml', line: 4 }]);
    const dir = applied(GITOPS, result);
    expect(parseManifests(readText(dir, 'lists/workers.yaml'), 'workers.yaml').manifests.map((m) => m.ref.name)).toEqual(['worker-b']);
  });

  it('edits a JSON manifest as JSON, keeping its layout', async () => {
    const result = await codify({
      root: GITOPS,
      objects: [object(deploy('json-api'), changed('/spec/replicas', 2, 5), extra('/metadata/labels', { team: 'shop' }), extra('/spec/template/spec/containers/name=api/env/name=MODE', { name: 'MODE', value: 'safe' }))],
    });
    expect(result.notWritten).toEqual([]);
    const dir = applied(GITOPS, result);
    const text = readText(dir, 'json/api.json');
    const parsed = JSON.parse(text) as Record<string, unknown>;
    expect(valueAtPath(parsed, '/spec/replicas')).toBe(5);
    expect(valueAtPath(parsed, '/metadata/labels')).toEqual({ team: 'shop' });
    expect(valueAtPath(parsed, '/spec/template/spec/containers/name=api/env')).toEqual([{ name: 'MODE', value: 'safe' }]);
    expect(text).toContain('    "selector": { "matchLabels": { "app": "json-api" } },\n');
    expect(result.patch).toContain('-    "replicas": 2,\n+    "replicas": 5,\n');
  });

  it('removes the document of an object deleted by hand, and only it', async () => {
    const service = { group: '', version: 'v1', kind: 'Service', namespace: 'shop', name: 'payments-api' };
    const result = await codify({ root: GITOPS, objects: [{ ref: service, source: 'directory', fields: [missing('', {})] }] });
    expect(result.written).toEqual([{ ref: service, path: '', file: 'apps/shop.yaml', line: 38 }]);
    const dir = applied(GITOPS, result);
    const text = readText(dir, 'apps/shop.yaml');
    expect(text).toBe(readFileSync(join(GITOPS, 'apps/shop.yaml'), 'utf8').split('---\n# Cluster-internal')[0]);
  });
});

describe('codify: what it will not write', () => {
  it('explains a Node taint: no manifest declares the Node', async () => {
    const node = { group: '', version: 'v1', kind: 'Node', name: 'ip-10-0-1-7' };
    const result = await codify({ root: GITOPS, objects: [{ ref: node, source: 'directory', fields: [extra('/spec/taints/key=dedicated,effect=NoSchedule', { key: 'dedicated', value: 'payments', effect: 'NoSchedule' })] }] });
    expect(result.patch).toBe('');
    expect(result.notWritten).toHaveLength(1);
    expect(result.notWritten[0]?.reason).toMatch(/^no manifest in the manifests directory declares Node\/ip-10-0-1-7: Stopgap has nothing to patch/);
    expect(result.notWritten[0]?.suggestion).toBeUndefined();
  });

  it('points an object a Helm chart renders at the values file that sets the field, as a suggestion', async () => {
    const result = await codify({ root: GITOPS, objects: [object(deploy('web-canary'), changed('/spec/replicas', 3, 10))] });
    expect(result.patch).toBe('');
    expect(result.notWritten[0]?.reason).toContain('rendered from the Helm chart in charts/web (web)');
    expect(result.notWritten[0]?.suggestion).toEqual({ file: 'charts/web/values-prod.yaml', text: 'set `replicaCount: 10`' });
  });

  it('refuses to patch helm template output and suggests the values key for the image tag', async () => {
    const result = await codify({
      root: GITOPS,
      objects: [object(deploy('web'), changed('/spec/replicas', 3, 5), changed('/spec/template/spec/containers/name=web/image', 'registry.example.com/shop/web:3.1.0', 'registry.example.com/shop/web:3.0.9'))],
    });
    expect(result.patch).toBe('');
    expect(result.notWritten.map((n) => n.reason)).toEqual([expect.stringContaining('is rendered by Helm from web/templates/deployment.yaml'), expect.stringContaining('overwritten at the next render')]);
    expect(result.notWritten.map((n) => n.suggestion)).toEqual([
      { file: 'charts/web/values-prod.yaml', text: 'set `replicaCount: 5`' },
      { file: 'charts/web/values.yaml', text: 'set `image.tag: 3.0.9`' },
    ]);
  });

  it('never writes a Secret value: a placeholder and a warning naming the Secret and the key', async () => {
    const secret = { group: '', version: 'v1', kind: 'Secret', namespace: 'shop', name: 'payments-db' };
    const fingerprint = 'hmac-sha256:5f1d0c6e';
    const result = await codify({
      root: GITOPS,
      objects: [{ ref: secret, source: 'directory', fields: [{ path: '/data/password', kind: 'changed', desired: 'hmac-sha256:0a1b', live: fingerprint, sensitive: true }, { path: '/data/token', kind: 'extra', desired: undefined, live: fingerprint, sensitive: true }] }],
    });
    expect(result.patch).not.toContain(fingerprint);
    expect(result.patch).toContain('+  password: "<set through your secret mechanism: sealed-secrets / external-secrets>"\n');
    expect(result.patch).toContain('+  token: "<set through your secret mechanism: sealed-secrets / external-secrets>"\n');
    expect(result.warnings).toEqual([
      expect.stringMatching(/^Secret shop\/payments-db key `password` was changed by hand: Stopgap never writes secret values.*sealed-secrets, external-secrets/),
      expect.stringMatching(/^Secret shop\/payments-db key `token` was added by hand/),
    ]);
    applied(GITOPS, result);
  });

  it('writes the placeholder where the manifest spells the Secret key, stringData included', async () => {
    const dir = gitRepo({ 'db.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: api-token\n  namespace: shop\nstringData:\n  token: dev-only\n' });
    repos.push(dir);
    const secret = { group: '', version: 'v1', kind: 'Secret', namespace: 'shop', name: 'api-token' };
    const result = await codify({ root: dir, objects: [{ ref: secret, source: 'directory', fields: [{ path: '/data/token', kind: 'changed', desired: 'hmac-sha256:01', live: 'hmac-sha256:02', sensitive: true }] }] });
    expect(result.patch).toContain('-  token: dev-only\n+  token: "<set through your secret mechanism: sealed-secrets / external-secrets>"\n');
    expect(result.warnings).toEqual([expect.stringContaining('Secret shop/api-token key `token` was changed by hand')]);
    expect(gitApplyCheck(dir, result.patch).ok).toBe(true);
  });

  it('has no manifests to patch for last-applied and managers sources, and says what to set', async () => {
    const result = await codify({
      root: GITOPS,
      objects: [
        { ref: deploy('api'), source: 'last-applied', fields: [changed('/spec/replicas', 3, 10)] },
        { ref: deploy('api'), source: 'managers', fields: [changed(`${API}/image`, undefined, 'nginx:1.25')] },
      ],
    });
    expect(result.patch).toBe('');
    expect(result.notWritten.map((n) => n.reason)).toEqual([
      "desired state comes from the live object's last-applied annotation; Stopgap has no manifests to patch: set spec.replicas to 10 in whatever applies Deployment.apps/api -n shop",
      'desired state comes from who manages each field (the managers source); Stopgap has no manifests to patch: set spec.template.spec.containers[name=api].image to nginx:1.25 in whatever applies Deployment.apps/api -n shop',
    ]);
  });

  it('refuses a field shared through a YAML anchor, and writes the rest', async () => {
    const dir = gitRepo({
      'app.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: anchored\n  labels: &labels\n    app: anchored\nspec:\n  replicas: 1\n  selector:\n    matchLabels: *labels\n',
    });
    repos.push(dir);
    const result = await codify({ root: dir, objects: [object(deploy('anchored', 'default'), changed('/metadata/labels/app', 'anchored', 'x'), changed('/spec/replicas', 1, 2))] });
    expect(result.notWritten.map((n) => n.reason)).toEqual([expect.stringContaining('shared through the YAML anchor &labels')]);
    expect(result.written.map((w) => w.path)).toEqual(['/spec/replicas']);
    expect(gitApplyCheck(dir, result.patch).ok).toBe(true);
  });
});

describe('codify: kustomize', () => {
  it('points fields an overlay sets at the overlay, and writes a field only the base spells out', async () => {
    const orders = deploy('orders');
    const C = '/spec/template/spec/containers/name=orders';
    const result = await codify({
      root: KUSTOMIZE,
      objects: [
        object(
          orders,
          changed('/spec/replicas', 1, 6),
          changed(`${C}/image`, 'registry.example.com/shop/orders:1.0.0', 'registry.example.com/shop/orders:1.3.2'),
          changed(`${C}/resources/limits/memory`, '1Gi', '2Gi'),
          changed(`${C}/env/name=MODE/value`, 'normal', 'degraded'),
        ),
      ],
    });
    expect(result.notWritten.map((n) => n.suggestion)).toEqual([
      { file: 'overlays/prod/kustomization.yaml', text: 'set `count: 6` in the replicas entry for orders' },
      { file: 'overlays/prod/kustomization.yaml', text: 'set `newTag: 1.3.2` in the images entry for registry.example.com/shop/orders' },
      { file: 'overlays/prod/memory.yaml', text: 'set spec.template.spec.containers[name=orders].resources.limits.memory to 2Gi in this patch' },
    ]);
    expect(result.notWritten[2]?.reason).toContain('comes from the kustomize patch overlays/prod/memory.yaml');
    expect(result.written.map((w) => [w.path, w.file])).toEqual([[`${C}/env/name=MODE/value`, 'base/deployment.yaml']]);
    applied(KUSTOMIZE, result);
  });
});

describe('codify: a directory indexed once serves many requests', () => {
  it('gives the same patch from a preloaded index', async () => {
    const index = await loadManifestIndex(GITOPS);
    const request = { root: GITOPS, objects: [object(deploy('payments-api'), changed('/spec/replicas', 3, 4))] };
    const fresh = await codify(request);
    const reused = await codify({ ...request, index });
    expect(reused).toEqual(fresh);
    expect(index.find(deploy('payments-api'))?.file).toBe('apps/shop.yaml');
    // A manifest without a namespace stands for the default namespace (or the configured one).
    expect(index.find(deploy('payments-api', 'default'))).toBeUndefined();
  });

  it('finds a manifest that names no namespace under the configured default namespace', async () => {
    const dir = gitRepo({ 'a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata:\n  a: "1"\n' });
    repos.push(dir);
    const ref = { group: '', version: 'v1', kind: 'ConfigMap', namespace: 'team-a', name: 'plain' };
    const result = await codify({ root: dir, defaultNamespace: 'team-a', objects: [{ ref, source: 'directory', fields: [changed('/data/a', '1', '2')] }] });
    expect(result.patch).toContain('-  a: "1"\n+  a: "2"\n');
    const elsewhere = await codify({ root: dir, objects: [{ ref, source: 'directory', fields: [changed('/data/a', '1', '2')] }] });
    expect(elsewhere.patch).toBe('');
  });
});

describe('codify: unusual files', () => {
  it('keeps Windows line endings in what it adds', async () => {
    const text = 'apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: crlf\r\n  namespace: shop\r\ndata:\r\n  a: x # why\r\n  list: one\r\n';
    const dir = gitRepo({ 'crlf.yaml': text });
    repos.push(dir);
    const ref = { group: '', version: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'crlf' };
    const result = await codify({ root: dir, objects: [{ ref, source: 'directory', fields: [changed('/data/a', 'x', 'z'), extra('/data/b', 'two\nlines\n'), changed('/data/list', 'one', 'one two')] }] });
    expect(result.notWritten).toEqual([]);
    gitApply(dir, result.patch);
    const after = readText(dir, 'crlf.yaml');
    expect(after).toBe('apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: crlf\r\n  namespace: shop\r\ndata:\r\n  a: z # why\r\n  list: one two\r\n  b: |\r\n    two\r\n    lines\r\n');
    expect(declared(dir, 'crlf.yaml', 'crlf')['data']).toEqual({ a: 'z', list: 'one two', b: 'two\nlines\n' });
  });

  it('writes a patch git applies to a file whose name has a space', async () => {
    const dir = gitRepo({ 'my apps/web app.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: spaced\n  namespace: shop\ndata:\n  a: x\n' });
    repos.push(dir);
    const result = await codify({ root: dir, objects: [{ ref: { group: '', version: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'spaced' }, source: 'directory', fields: [changed('/data/a', 'x', 'z')] }] });
    expect(result.files).toEqual(['my apps/web app.yaml']);
    gitApply(dir, result.patch);
    expect(readText(dir, 'my apps/web app.yaml')).toContain('  a: z\n');
  });
});
