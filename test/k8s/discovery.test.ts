import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterConfig } from '../../src/config/clusters.js';
import { DEFAULT_KINDS, collectionPath, discoverKinds, parseKindSelector } from '../../src/k8s/discovery.js';
import { createKubeClient } from '../../src/k8s/client.js';
import { loadKubeConfig } from '../../src/k8s/kubeconfig.js';
import { DEFAULT_FAKE_RESOURCES, startFakeKube, writeKubeconfig } from '../../src/demo/fake-kube.js';
import type { FakeKube } from '../../src/demo/fake-kube.js';

let fake: FakeKube | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await fake?.close();
  fake = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function clientFor(resources = DEFAULT_FAKE_RESOURCES) {
  fake = await startFakeKube({ resources });
  const dir = mkdtempSync(join(tmpdir(), 'stopgap-discovery-'));
  dirs.push(dir);
  const kubeconfig = writeKubeconfig([{ name: 'fake', server: fake.url, token: fake.token }], { dir });
  return createKubeClient(loadKubeConfig({ kubeconfig }, {}));
}

describe('kind selectors', () => {
  it('reads every spelling of a kind', () => {
    expect(parseKindSelector('Deployment')).toEqual({ kind: 'Deployment' });
    expect(parseKindSelector('Deployment.apps')).toEqual({ group: 'apps', kind: 'Deployment' });
    expect(parseKindSelector('apps/v1/Deployment')).toEqual({ group: 'apps', version: 'v1', kind: 'Deployment' });
    expect(parseKindSelector('apps/Deployment')).toEqual({ group: 'apps', kind: 'Deployment' });
    expect(parseKindSelector('v1/ConfigMap')).toEqual({ group: '', version: 'v1', kind: 'ConfigMap' });
    expect(parseKindSelector('widgets.example.com/v1alpha1/Widget')).toEqual({ group: 'widgets.example.com', version: 'v1alpha1', kind: 'Widget' });
    expect(parseKindSelector({ group: 'example.com', kind: 'Widget' })).toEqual({ group: 'example.com', kind: 'Widget' });
  });

  it('reads the object form without a group like the bare kind name, not as the core group', async () => {
    const { kinds = [] } = ClusterConfig.parse({
      name: 'prod',
      kinds: [{ kind: 'Deployment' }, { kind: 'Widget', version: 'v1alpha1' }, { group: '', kind: 'ConfigMap' }],
    });
    const specs = kinds.map(parseKindSelector);
    expect(specs).toEqual([{ kind: 'Deployment' }, { version: 'v1alpha1', kind: 'Widget' }, { group: '', kind: 'ConfigMap' }]);
    const client = await clientFor([
      ...DEFAULT_FAKE_RESOURCES,
      { group: 'widgets.example.com', version: 'v1alpha1', kind: 'Widget', plural: 'widgets', namespaced: true },
    ]);
    const result = await discoverKinds(client, specs);
    expect(result.unresolved).toEqual([]);
    expect(result.resolved.map((r) => [r.resource.group, r.resource.version, r.resource.kind])).toEqual([
      ['apps', 'v1', 'Deployment'],
      ['widgets.example.com', 'v1alpha1', 'Widget'],
      ['', 'v1', 'ConfigMap'],
    ]);
  });
});

describe('discovery', () => {
  it('maps the default kinds to resources at their preferred versions, skipping subresources', async () => {
    const client = await clientFor();
    const result = await discoverKinds(client, DEFAULT_KINDS);
    expect(result.unresolved).toEqual([]);
    const byKind = new Map(result.resolved.map((r) => [r.resource.kind, r.resource]));
    expect(byKind.size).toBe(DEFAULT_KINDS.length);
    expect(byKind.get('Deployment')).toEqual({ group: 'apps', version: 'v1', kind: 'Deployment', resource: 'deployments', namespaced: true });
    expect(byKind.get('HorizontalPodAutoscaler')?.version).toBe('v2');
    expect(byKind.get('Node')).toMatchObject({ resource: 'nodes', namespaced: false });
    expect(collectionPath(byKind.get('Deployment')!, 'shop')).toBe('/apis/apps/v1/namespaces/shop/deployments');
    expect(collectionPath(byKind.get('Node')!, 'shop')).toBe('/api/v1/nodes');
  });

  it('finds a CRD kind by group/version/kind, and by its name alone', async () => {
    const client = await clientFor([
      ...DEFAULT_FAKE_RESOURCES,
      { group: 'widgets.example.com', version: 'v1alpha1', kind: 'Widget', plural: 'widgets', namespaced: true },
    ]);
    const result = await discoverKinds(client, [parseKindSelector('widgets.example.com/v1alpha1/Widget'), parseKindSelector('Widget')]);
    expect(result.unresolved).toEqual([]);
    // The same resource named twice is scanned once.
    expect(result.resolved.map((r) => r.resource.resource)).toEqual(['widgets']);
  });

  it('fails only the kind the cluster does not serve', async () => {
    const client = await clientFor();
    const result = await discoverKinds(client, [parseKindSelector('apps/v1/Deployment'), parseKindSelector('example.com/v1/Gadget'), parseKindSelector('Gizmo')]);
    expect(result.resolved.map((r) => r.resource.kind)).toEqual(['Deployment']);
    expect(result.unresolved.map((u) => u.reason)).toEqual(['not-served', 'not-served']);
    expect(result.unresolved.map((u) => u.error.message)).toEqual([
      expect.stringContaining('does not serve example.com/v1/Gadget (no API group "example.com")'),
      expect.stringContaining('does not serve Gizmo'),
    ]);
  });

  it('fails only the kinds of a group version whose discovery fails (an aggregated API down)', async () => {
    const client = await clientFor();
    fake?.inject('apis/policy/v1', { type: 'status', code: 503 });
    const result = await discoverKinds(client, DEFAULT_KINDS);
    expect(result.unresolved.map((u) => [u.spec.kind, u.reason, u.error.message])).toEqual([
      ['PodDisruptionBudget', 'failed', expect.stringContaining('503')],
    ]);
    expect(result.resolved).toHaveLength(DEFAULT_KINDS.length - 1);
  });
});
