/**
 * The classic incident fixes, on our own fixtures (test/fixtures/k8s/): each must be reported with
 * the field manager and time that wrote it, and none of the usual noise may be.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { attributePath } from '../../src/drift/attribute-path.js';
import { diffObjects } from '../../src/drift/diff.js';
import { makeFingerprint } from '../../src/drift/fingerprint.js';
import type { DiffOptions, DiffResult, KubeObject } from '../../src/drift/types.js';

const fixtures = new URL('../fixtures/k8s/', import.meta.url);

function load(name: string): KubeObject {
  return parse(readFileSync(fileURLToPath(new URL(name, fixtures)), 'utf8')) as KubeObject;
}

function diff(desired: string, live: string, options?: DiffOptions): DiffResult {
  return diffObjects(load(desired), load(live), options);
}

describe('manual fixes are drift, attributed to who made them and when', () => {
  it('kubectl scale: replicas owned by kubectl through the scale subresource', () => {
    const r = diff('deploy-desired.yaml', 'deploy-live-scaled.yaml');
    expect(r.differences).toEqual([
      {
        path: '/spec/replicas',
        kind: 'changed',
        desired: 3,
        live: 6,
        sensitive: false,
        attribution: { manager: 'kubectl', operation: 'Update', subresource: 'scale', time: '2025-03-04T02:47:19Z', managerClass: 'manual' },
      },
    ]);
  });

  it('kubectl set image rollback: the container image, by kubectl-set', () => {
    const r = diff('deploy-desired.yaml', 'deploy-live-set-image.yaml');
    expect(r.differences).toEqual([
      expect.objectContaining({
        path: '/spec/template/spec/containers/name=api/image',
        kind: 'changed',
        desired: 'registry.example.com/shop/payments-api:v2.4.1',
        live: 'registry.example.com/shop/payments-api:v2.4.0',
        attribution: expect.objectContaining({ manager: 'kubectl-set', time: '2025-03-04T02:52:03Z', managerClass: 'manual' }),
      }),
    ]);
  });

  it('kubectl set resources memory bump: only the memory limit, not the differently spelled quantities around it', () => {
    const r = diff('deploy-desired.yaml', 'deploy-live-set-resources.yaml');
    expect(r.differences).toEqual([
      expect.objectContaining({
        path: '/spec/template/spec/containers/name=api/resources/limits/memory',
        kind: 'changed',
        desired: '1024Mi',
        live: '2Gi',
        attribution: expect.objectContaining({ manager: 'kubectl-set', time: '2025-03-04T03:05:44Z' }),
      }),
    ]);
  });

  it('kubectl set env: an env var only in live, owned by kubectl-set, is extra', () => {
    const r = diff('deploy-desired.yaml', 'deploy-live-set-env.yaml');
    expect(r.differences).toEqual([
      expect.objectContaining({
        path: '/spec/template/spec/containers/name=api/env/name=CHECKOUT_V2_ENABLED',
        kind: 'extra',
        desired: undefined,
        live: { name: 'CHECKOUT_V2_ENABLED', value: 'false' },
        attribution: expect.objectContaining({ manager: 'kubectl-set', time: '2025-03-04T03:11:26Z', managerClass: 'manual' }),
      }),
    ]);
  });

  it('kubectl edit of a ConfigMap: the edited key, by kubectl-edit', () => {
    const r = diff('configmap-desired.yaml', 'configmap-live-edited.yaml');
    expect(r.differences).toEqual([
      expect.objectContaining({
        path: '/data/LOG_LEVEL',
        desired: 'info',
        live: 'debug',
        attribution: expect.objectContaining({ manager: 'kubectl-edit', operation: 'Update', time: '2025-03-04T02:40:12Z' }),
      }),
    ]);
  });

  it('kubectl cordon: spec.unschedulable by kubectl is drift; the controller-added taint is not', () => {
    const r = diff('node-desired.yaml', 'node-live-cordoned.yaml');
    expect(r.differences).toEqual([
      expect.objectContaining({
        path: '/spec/unschedulable',
        kind: 'extra',
        live: true,
        attribution: expect.objectContaining({ manager: 'kubectl', time: '2025-03-04T02:58:10Z' }),
      }),
    ]);
  });

  it('kubectl taint: the taints list written by kubectl-taint', () => {
    const r = diff('node-desired.yaml', 'node-live-tainted.yaml');
    expect(r.differences).toEqual([
      expect.objectContaining({
        path: '/spec/taints',
        kind: 'extra',
        live: [{ key: 'dedicated', value: 'payments', effect: 'NoSchedule' }],
        attribution: expect.objectContaining({ manager: 'kubectl-taint', time: '2025-03-04T03:01:37Z' }),
      }),
    ]);
  });

  it('kubectl taint on a node whose desired state declares other taints: the new taint alone, by key and effect', () => {
    const desired = load('node-desired.yaml');
    (desired as { spec?: unknown }).spec = { taints: [{ key: 'pool', value: 'payments', effect: 'NoExecute' }] };
    const live = load('node-live-tainted.yaml');
    const spec = live['spec'] as { taints: unknown[] };
    spec.taints = [{ key: 'dedicated', value: 'payments', effect: 'NoSchedule' }, { key: 'pool', value: 'payments', effect: 'NoExecute' }];
    const r = diffObjects(desired, live);
    expect(r.differences.map((d) => [d.path, d.kind, d.attribution?.manager])).toEqual([
      ['/spec/taints/key=dedicated,effect=NoSchedule', 'extra', 'kubectl-taint'],
    ]);
  });

  it('kubectl annotate and kubectl label: hand-added metadata is extra; kubectl-owned last-applied is not', () => {
    const live = load('deploy-live-kubectl-applied.yaml');
    const metadata = live['metadata'] as { annotations: Record<string, string>; labels: Record<string, string>; managedFields: unknown[] };
    metadata.annotations['incident'] = 'INC-4821';
    metadata.labels['hotfix'] = 'true';
    metadata.managedFields.push(
      { manager: 'kubectl-annotate', operation: 'Update', time: '2025-03-04T03:30:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:annotations': { 'f:incident': {} } } } },
      { manager: 'kubectl-label', operation: 'Update', time: '2025-03-04T03:31:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': { 'f:hotfix': {} } } } },
    );
    const r = diffObjects(load('deploy-desired.yaml'), live);
    expect(r.differences.map((d) => [d.path, d.kind, d.live, d.attribution?.manager])).toEqual([
      ['/metadata/labels/hotfix', 'extra', 'true', 'kubectl-label'],
      ['/metadata/annotations/incident', 'extra', 'INC-4821', 'kubectl-annotate'],
    ]);
  });

  it('kubectl edit of a Service: targetPort 8080 → "http" (int-or-string kept distinct)', () => {
    const r = diff('service-desired.yaml', 'service-live-edited.yaml');
    expect(r.differences).toEqual([
      expect.objectContaining({ path: '/spec/ports/port=80,protocol=TCP/targetPort', desired: 8080, live: 'http', attribution: expect.objectContaining({ manager: 'kubectl-edit' }) }),
    ]);
  });
});

describe('what is not drift', () => {
  it('a default-filled live object (server defaults, canonical quantities, status) is in sync', () => {
    const r = diff('deploy-desired.yaml', 'deploy-live-in-sync.yaml');
    expect(r.differences).toEqual([]);
    expect(r.inSync).toBe(true);
  });

  it('a deployment created by client-side kubectl apply is in sync though kubectl owns every default', () => {
    const r = diff('deploy-desired.yaml', 'deploy-live-kubectl-applied.yaml');
    expect(r.differences).toEqual([]);
    expect(r.threeWay).toBe(true);
  });

  it('HPA-owned replicas (kube-controller-manager, trusted by default) are not drift', () => {
    expect(diff('deploy-desired.yaml', 'deploy-live-hpa.yaml').differences).toEqual([]);
  });

  it('HPA-owned replicas are drift when kube-controller-manager is no longer trusted', () => {
    const r = diff('deploy-desired.yaml', 'deploy-live-hpa.yaml', { trustedManagers: ['argocd*'] });
    expect(r.differences.map((d) => [d.path, d.attribution?.manager, d.attribution?.managerClass])).toEqual([
      ['/spec/replicas', 'kube-controller-manager', 'automation'],
    ]);
  });

  it('container and port order changes are not drift', () => {
    expect(diff('deploy-desired.yaml', 'deploy-live-reordered.yaml').differences).toEqual([]);
  });

  it('reordered envFrom, volumes, imagePullSecrets, volumeMounts and finalizers are not drift', () => {
    const pod = (reverse: boolean): KubeObject => {
      const r = <T>(xs: T[]): T[] => (reverse ? [...xs].reverse() : xs);
      return {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p', finalizers: r(['a.example.com/x', 'b.example.com/y']) },
        spec: {
          imagePullSecrets: r([{ name: 'regcred' }, { name: 'mirror' }]),
          volumes: r([{ name: 'a', emptyDir: {} }, { name: 'b', configMap: { name: 'cm' } }]),
          containers: [
            {
              name: 'c',
              envFrom: r([{ configMapRef: { name: 'cm' } }, { secretRef: { name: 's' }, prefix: 'S_' }, { configMapRef: { name: 'cm' }, prefix: 'X_' }]),
              volumeMounts: r([{ name: 'a', mountPath: '/a' }, { name: 'b', mountPath: '/b' }]),
            },
          ],
        },
      };
    };
    expect(diffObjects(pod(false), pod(true)).differences).toEqual([]);
  });

  it('kubectl rollout restart (restartedAt annotation) is not drift', () => {
    expect(diff('deploy-desired.yaml', 'deploy-live-restarted.yaml').differences).toEqual([]);
  });

  it('a node full of kubelet and controller fields is in sync with its declared labels', () => {
    expect(diff('node-desired.yaml', 'node-live-in-sync.yaml').differences).toEqual([]);
  });

  it('a Secret declared with stringData is in sync with its base64 data', () => {
    expect(diff('secret-desired.yaml', 'secret-live-in-sync.yaml').differences).toEqual([]);
  });

  it('quantity spellings: 0.5 = 500m, 1 = 1000m, 1Gi = 1024Mi, 1e3 = 1k, 128974848 = 123Mi', () => {
    const pod = (resources: Record<string, unknown>, overheadCpu: unknown): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'q', namespace: 'shop' },
      spec: { containers: [{ name: 'c', image: 'busybox', resources }], overhead: { cpu: overheadCpu } },
    });
    const desired = pod({ limits: { cpu: 0.5, memory: '1Gi', 'ephemeral-storage': '1e3' }, requests: { cpu: 1, memory: 128974848 } }, '0.1');
    const live = pod({ limits: { cpu: '500m', memory: '1024Mi', 'ephemeral-storage': '1k' }, requests: { cpu: '1000m', memory: '123Mi' } }, '100m');
    expect(diffObjects(desired, live).differences).toEqual([]);
  });

  it('quantities are only normalised at quantity paths: "1000m" and "1" in a label or ConfigMap differ', () => {
    const cm = (v: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', labels: { size: v } }, data: { cpu: v } });
    expect(diffObjects(cm('1000m'), cm('1')).differences.map((d) => d.path)).toEqual(['/metadata/labels/size', '/data/cpu']);
  });

  it('int-or-string values are kept distinct: 80 is not "80"', () => {
    const svc = (targetPort: unknown): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80, targetPort }] } });
    const r = diffObjects(svc(80), svc('80'));
    expect(r.differences).toEqual([expect.objectContaining({ path: '/spec/ports/port=80,protocol=TCP/targetPort', desired: 80, live: '80' })]);
    const deploy = (maxSurge: unknown): KubeObject => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { strategy: { rollingUpdate: { maxSurge } } } });
    expect(diffObjects(deploy(1), deploy('1')).inSync).toBe(false);
  });

  it('absent, null, [] and {} are alike; "" and false equal an omitted field', () => {
    const desired: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', annotations: {}, labels: null }, data: { a: 'x' }, binaryData: [], immutable: false };
    const live: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { a: 'x' } };
    expect(diffObjects(desired, live).differences).toEqual([]);
  });
});

describe('Secrets: changes detected, values never revealed', () => {
  const raw = 'Tr0ub4dor&3-rotated-during-INC-4821';
  const rawBase64 = Buffer.from(raw).toString('base64');
  const desiredRaw = 'correct-horse-battery-staple-42';
  const desiredBase64 = Buffer.from(desiredRaw).toString('base64');

  it('a changed password is drift with fingerprints, attributed to kubectl-edit', () => {
    const r = diff('secret-desired.yaml', 'secret-live-changed.yaml', { fingerprint: makeFingerprint(Buffer.from('k1')) });
    expect(r.differences).toEqual([
      expect.objectContaining({
        path: '/data/password',
        kind: 'changed',
        sensitive: true,
        desired: expect.stringMatching(/^hmac-sha256:[0-9a-f]{16}$/),
        live: expect.stringMatching(/^hmac-sha256:[0-9a-f]{16}$/),
        attribution: expect.objectContaining({ manager: 'kubectl-edit', time: '2025-03-04T03:15:09Z' }),
      }),
    ]);
    const [d] = r.differences;
    expect(d?.desired).not.toBe(d?.live);
    const text = JSON.stringify(r);
    for (const secret of [raw, rawBase64, desiredRaw, desiredBase64]) expect(text).not.toContain(secret);
  });

  it('without a fingerprint the values are "[redacted]"', () => {
    const r = diff('secret-desired.yaml', 'secret-live-changed.yaml');
    expect(r.differences[0]).toMatchObject({ desired: '[redacted]', live: '[redacted]', sensitive: true });
  });

  it('the same value gives the same fingerprint under one key, and another key gives another', () => {
    const a = makeFingerprint(Buffer.from('key-a'));
    const b = makeFingerprint(Buffer.from('key-b'));
    expect(a(rawBase64)).toBe(a(rawBase64));
    expect(a(rawBase64)).not.toBe(a(desiredBase64));
    expect(a(rawBase64)).not.toBe(b(rawBase64));
  });

  it('a whole data map missing from live is redacted value by value, keys kept', () => {
    const desired = load('secret-desired.yaml');
    const live = load('secret-live-in-sync.yaml');
    delete live['data'];
    const r = diffObjects(desired, live, { fingerprint: makeFingerprint(Buffer.from('k')) });
    expect(r.differences).toEqual([
      expect.objectContaining({ path: '/data', kind: 'missing', sensitive: true, desired: { username: expect.stringMatching(/^hmac/), password: expect.stringMatching(/^hmac/) } }),
    ]);
    expect(JSON.stringify(r)).not.toContain(desiredBase64);
  });

  it('three-way: a key removed from desired but still in live is reported without its value, even from last-applied', () => {
    const desired: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { a: 'YQ==' } };
    const lastApplied = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { a: 'YQ==', token: 'c2VjcmV0LXRva2Vu' } };
    const live: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(lastApplied) } },
      data: { a: 'YQ==', token: 'c2VjcmV0LXRva2Vu' },
    };
    const r = diffObjects(desired, live);
    expect(r.differences).toEqual([expect.objectContaining({ path: '/data/token', kind: 'extra', live: '[redacted]', sensitive: true })]);
    expect(JSON.stringify(r)).not.toContain('c2VjcmV0LXRva2Vu');
  });

  it('sensitivePointers hide other values too, including inside a reported parent', () => {
    const cm = (token: string, extra?: boolean): KubeObject => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x' },
      data: extra ? { token } : { token, plain: 'p' },
    });
    const r = diffObjects(cm('tok-1'), cm('tok-2'), { sensitivePointers: ['/data/token'] });
    expect(r.differences).toEqual([expect.objectContaining({ path: '/data/token', desired: '[redacted]', live: '[redacted]', sensitive: true })]);
    const whole = diffObjects(cm('tok-1'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }, { sensitivePointers: ['/data/*'] });
    expect(JSON.stringify(whole)).not.toContain('tok-1');
    expect(whole.differences[0]).toMatchObject({ path: '/data', sensitive: true });
  });
});

describe('ignore rules, three-way and attribution helpers', () => {
  it('ignore pointers accept *, keyed segments and list indexes', () => {
    for (const pointer of [
      '/spec/template/spec/containers/name=api/image',
      '/spec/template/spec/containers/*/image',
      '/spec/template/spec/containers/0/image',
      '/spec/template/spec/containers',
    ]) {
      expect(diff('deploy-desired.yaml', 'deploy-live-set-image.yaml', { ignorePointers: [pointer] }).differences, pointer).toEqual([]);
    }
    expect(diff('deploy-desired.yaml', 'deploy-live-set-image.yaml', { ignorePointers: ['/spec/template/spec/containers/1/image'] }).inSync).toBe(false);
  });

  it('a manager named in automationManagers adds nothing by hand (its live-only fields are not extra)', () => {
    const r = diff('deploy-desired.yaml', 'deploy-live-set-env.yaml', { automationManagers: ['kubectl-set'] });
    expect(r.differences).toEqual([]);
  });

  it('three-way: an env var removed from desired but still live is reported; without last-applied it is not', () => {
    const desired = load('deploy-desired.yaml');
    const live = load('deploy-live-in-sync.yaml');
    const lastApplied = structuredClone(desired) as { spec: { template: { spec: { containers: { env: unknown[] }[] } } } };
    lastApplied.spec.template.spec.containers[0]?.env.push({ name: 'LEGACY_MODE', value: 'on' });
    (live['metadata'] as { annotations: Record<string, string> }).annotations['kubectl.kubernetes.io/last-applied-configuration'] = JSON.stringify(lastApplied);
    const liveSpec = live['spec'] as typeof lastApplied.spec;
    liveSpec.template.spec.containers[0]?.env.push({ name: 'LEGACY_MODE', value: 'on' });
    const r = diffObjects(desired, live);
    expect(r.differences.map((d) => [d.path, d.kind])).toEqual([['/spec/template/spec/containers/name=api/env/name=LEGACY_MODE', 'extra']]);
    expect(diffObjects(desired, live, { threeWay: false }).differences).toEqual([]);
  });

  it('attributePath names the owner of a live path, or of its atomic ancestor', () => {
    const live = load('deploy-live-set-image.yaml');
    expect(attributePath(live, '/spec/template/spec/containers/name=api/image')).toMatchObject({ manager: 'kubectl-set' });
    expect(attributePath(live, '/spec/selector/matchLabels/app.kubernetes.io~1name')).toMatchObject({ manager: 'argocd-controller', operation: 'Apply' });
    expect(attributePath(live, '/spec/paused')).toBeUndefined();
  });
});
