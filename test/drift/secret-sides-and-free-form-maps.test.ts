/**
 * Secret values stay hidden when only one side of a diff is a Secret, and a key deleted from a
 * free-form map (data, labels, annotations...) is drift even when its desired value was a zero scalar.
 */
import { describe, expect, it } from 'vitest';
import { diffObjects } from '../../src/drift/diff.js';
import { makeFingerprint } from '../../src/drift/fingerprint.js';
import type { DiffResult, KubeObject } from '../../src/drift/types.js';

const RAW = 'hunter2-live-password';
const B64 = Buffer.from(RAW).toString('base64');
const DESIRED_RAW = 'desired-only-password';
const DESIRED_B64 = Buffer.from(DESIRED_RAW).toString('base64');

function expectNoSecret(r: DiffResult): void {
  const text = JSON.stringify(r);
  for (const s of [RAW, B64, DESIRED_RAW, DESIRED_B64]) expect(text).not.toContain(s);
}

const secret = (kind = 'Secret', apiVersion = 'v1', data: Record<string, string> = { password: B64 }): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name: 's', namespace: 'shop' },
  data,
});
const configMap = (data: Record<string, unknown> = { password: DESIRED_RAW }): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 's', namespace: 'shop' },
  data,
});

describe('Secret values are sensitive when either side is a Secret', () => {
  it('desired ConfigMap, live Secret: the live value is redacted', () => {
    const r = diffObjects(configMap(), secret());
    expect(r.differences).toContainEqual(expect.objectContaining({ path: '/data/password', sensitive: true, live: '[redacted]', desired: '[redacted]' }));
    expectNoSecret(r);
  });

  it('desired Secret, live ConfigMap: the desired value is redacted', () => {
    const r = diffObjects(secret('Secret', 'v1', { password: DESIRED_B64 }), configMap({ password: RAW }), { fingerprint: makeFingerprint(Buffer.from('k')) });
    expect(r.differences).toContainEqual(expect.objectContaining({ path: '/data/password', sensitive: true }));
    expectNoSecret(r);
  });

  it('a lower-case kind: secret is still a Secret', () => {
    const r = diffObjects(secret('secret', 'v1', { password: DESIRED_B64 }), secret());
    expect(r.differences).toContainEqual(expect.objectContaining({ path: '/data/password', sensitive: true }));
    expectNoSecret(r);
    const stringData: KubeObject = { apiVersion: 'v1', kind: 'SECRET', metadata: { name: 's' }, stringData: { password: DESIRED_RAW } };
    expectNoSecret(diffObjects(stringData, secret()));
  });

  it('fails closed: a Secret kind of any API group is redacted too', () => {
    const r = diffObjects(secret('Secret', 'example.com/v1', { a: DESIRED_B64 }), secret('Secret', 'example.com/v1', { a: B64 }));
    expect(r.differences).toEqual([expect.objectContaining({ path: '/data/a', sensitive: true })]);
    expectNoSecret(r);
  });

  it('a List holding a Secret is redacted item by item and as a whole', () => {
    const list = (items: KubeObject[]): KubeObject => ({ apiVersion: 'v1', kind: 'List', items });
    const changed = diffObjects(list([secret('Secret', 'v1', { password: DESIRED_B64 })]), list([secret()]));
    expect(changed.differences).toEqual([expect.objectContaining({ path: '/items/0/data/password', sensitive: true })]);
    expectNoSecret(changed);
    const added = diffObjects(list([configMap({ a: '1' })]), list([configMap({ a: '1' }), secret()]));
    expectNoSecret(added);
    const missing = diffObjects(list([configMap({ a: '1' }), secret()]), list([configMap({ a: '1' })]));
    expect(missing.differences).not.toEqual([]);
    expectNoSecret(missing);
  });

  it('a Secret annotations map reported whole never shows the last-applied copy of its values', () => {
    const desired: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { password: B64 } };
    const live: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 's',
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ kind: 'Secret', data: { password: B64 } }) },
        // A manual manager owning the whole annotations map: reported as one live-only value.
        managedFields: [{ manager: 'kubectl-client-side-apply', operation: 'Update', fieldsV1: { 'f:metadata': { 'f:annotations': {} } } }],
      },
      data: { password: B64 },
    };
    const r = diffObjects(desired, live);
    expect(r.differences).toEqual([expect.objectContaining({ path: '/metadata/annotations', kind: 'extra', sensitive: true })]);
    expectNoSecret(r);
  });
});

describe('free-form maps: a key absent from live is missing, whatever its desired value', () => {
  it('ConfigMap data key with "" deleted from live is missing drift', () => {
    const r = diffObjects(configMap({ a: '1', empty: '' }), configMap({ a: '1' }));
    expect(r.differences).toEqual([expect.objectContaining({ path: '/data/empty', kind: 'missing', desired: '', live: undefined })]);
  });

  it('false and 0 in data-like maps are declared values too', () => {
    const r = diffObjects(configMap({ a: '1', f: false, z: 0 }), configMap({ a: '1' }));
    expect(r.differences.map((d) => [d.path, d.kind])).toEqual([
      ['/data/f', 'missing'],
      ['/data/z', 'missing'],
    ]);
  });

  it('a Secret data or stringData key with "" deleted from live is missing drift, redacted', () => {
    const live = secret('Secret', 'v1', { password: B64 });
    const desired = secret('Secret', 'v1', { password: B64, token: '' });
    expect(diffObjects(desired, live).differences).toEqual([
      expect.objectContaining({ path: '/data/token', kind: 'missing', sensitive: true, desired: '[redacted]' }),
    ]);
    const viaStringData: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'shop' }, data: { password: B64 }, stringData: { token: '' } };
    expect(diffObjects(viaStringData, live).differences).toEqual([expect.objectContaining({ path: '/data/token', kind: 'missing' })]);
  });

  it('binaryData and a whole data map of empty values missing from live', () => {
    const cm = (extra: Record<string, unknown>): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, ...extra });
    expect(diffObjects(cm({ binaryData: { blob: '' } }), cm({})).differences).toEqual([
      expect.objectContaining({ path: '/binaryData', kind: 'missing', desired: { blob: '' } }),
    ]);
    expect(diffObjects(cm({ data: { a: '' } }), cm({})).differences).toEqual([expect.objectContaining({ path: '/data', kind: 'missing' })]);
  });

  it('a null live value still equals "" (what the API server stores for null)', () => {
    expect(diffObjects(configMap({ a: '' }), configMap({ a: null })).differences).toEqual([]);
    expect(diffObjects(secret('Secret', 'v1', { a: '' }), { ...secret(), data: { a: null } }).differences).toEqual([]);
  });

  it('labels and annotations with "" values, at the top and in a pod template', () => {
    const deploy = (labels: Record<string, string>, annotations: Record<string, string>): KubeObject => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', labels, annotations },
      spec: { template: { metadata: { labels, annotations }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
    });
    const r = diffObjects(deploy({ app: 'd', canary: '' }, { 'example.com/flag': '' }), deploy({ app: 'd' }, {}));
    expect(r.differences.map((d) => [d.path, d.kind])).toEqual([
      ['/metadata/labels/canary', 'missing'],
      ['/metadata/annotations/example.com~1flag', 'missing'],
      ['/spec/template/metadata/labels/canary', 'missing'],
      ['/spec/template/metadata/annotations/example.com~1flag', 'missing'],
    ]);
  });

  it('nodeSelector and matchLabels are free-form too; a Service selector as well', () => {
    const pod = (nodeSelector: Record<string, string>): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { nodeSelector, containers: [{ name: 'c', image: 'i' }] },
    });
    expect(diffObjects(pod({ a: 'x', dedicated: '' }), pod({ a: 'x' })).differences).toEqual([
      expect.objectContaining({ path: '/spec/nodeSelector/dedicated', kind: 'missing' }),
    ]);
    const svc = (selector: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { selector } });
    expect(diffObjects(svc({ app: 'a', tier: '' }), svc({ app: 'a' })).differences).toEqual([expect.objectContaining({ path: '/spec/selector/tier', kind: 'missing' })]);
  });

  it('struct fields keep omitempty: hostNetwork: false, replicas: 0, an empty env value are not drift when absent', () => {
    const deploy = (spec: Record<string, unknown>, container: Record<string, unknown>): KubeObject => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: { ...spec, template: { spec: { hostNetwork: spec['hostNetwork'], containers: [{ name: 'c', image: 'i', ...container }] } } },
    });
    const desired = deploy({ hostNetwork: false, minReadySeconds: 0 }, { env: [{ name: 'EMPTY', value: '' }], stdin: false, workingDir: '' });
    const live = deploy({}, { env: [{ name: 'EMPTY' }] });
    expect(diffObjects(desired, live).differences).toEqual([]);
  });

  it('an env var deleted from live is missing even if its value was "" (the keyed list item is gone)', () => {
    const pod = (env: unknown[]): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'i', env }] } });
    expect(diffObjects(pod([{ name: 'A', value: '1' }, { name: 'EMPTY', value: '' }]), pod([{ name: 'A', value: '1' }])).differences).toEqual([
      expect.objectContaining({ path: '/spec/containers/name=c/env/name=EMPTY', kind: 'missing' }),
    ]);
  });

  it('three-way: a "" data key removed from desired but still live is extra drift, not a "default"', () => {
    const lastApplied = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1', empty: '' } };
    const live: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(lastApplied) } },
      data: { a: '1', empty: '' },
    };
    const desired: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } };
    expect(diffObjects(desired, live).differences).toEqual([expect.objectContaining({ path: '/data/empty', kind: 'extra', live: '' })]);
  });

  it('a label named like a defaulted field ("type: ClusterIP") added by kubectl is still drift', () => {
    const desired: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: { app: 'a' } } };
    const live: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'c',
        labels: { app: 'a', type: 'ClusterIP', empty: '' },
        managedFields: [
          { manager: 'argocd-controller', operation: 'Apply', fieldsV1: { 'f:metadata': { 'f:labels': { 'f:app': {} } } } },
          { manager: 'kubectl-label', operation: 'Update', time: '2025-03-04T02:00:00Z', fieldsV1: { 'f:metadata': { 'f:labels': { 'f:type': {}, 'f:empty': {} } } } },
        ],
      },
    };
    expect(diffObjects(desired, live).differences.map((d) => [d.path, d.kind, d.attribution?.manager])).toEqual([
      ['/metadata/labels/type', 'extra', 'kubectl-label'],
      ['/metadata/labels/empty', 'extra', 'kubectl-label'],
    ]);
  });
});
