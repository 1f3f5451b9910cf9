import { describe, expect, it } from 'vitest';
import {
  buildOwnershipIndex,
  classifyManager,
  compileManagerPattern,
  findOwners,
  parseManagedFields,
  pickOwner,
  toAttribution,
  type Owner,
} from '../../src/drift/managed-fields.js';
import type { KubeObject } from '../../src/drift/types.js';

const live: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'web',
    finalizers: ['example.com/protect'],
    managedFields: [
      {
        manager: 'argocd-controller',
        operation: 'Apply',
        apiVersion: 'apps/v1',
        time: '2025-01-01T00:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:finalizers': { 'v:"example.com/protect"': {} } },
          'f:spec': {
            'f:selector': {},
            'f:template': {
              'f:spec': {
                'f:containers': {
                  'k:{"name":"web"}': {
                    '.': {},
                    'f:name': {},
                    'f:image': {},
                    'f:ports': { 'k:{"containerPort":8080,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
                  },
                },
              },
            },
          },
        },
      },
      {
        manager: 'kubectl-set',
        operation: 'Update',
        apiVersion: 'apps/v1',
        time: '2025-02-01T10:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { 'f:env': { 'k:{"name":"DEBUG"}': { '.': {}, 'f:name': {}, 'f:value': {} } } } } } } },
        },
      },
      {
        manager: 'kubectl',
        operation: 'Update',
        subresource: 'scale',
        apiVersion: 'apps/v1',
        time: '2025-02-01T11:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:spec': { 'f:replicas': {} } },
      },
      {
        manager: 'legacy-tool',
        operation: 'Update',
        time: '2025-02-02T00:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:spec': { 'f:template': { 'f:spec': { 'f:tolerations': { 'i:0': { 'f:key': {} } } } } } },
      },
      { operation: 'Update' }, // malformed: no manager
      { manager: 'broken', fieldsV1: { 'k:{not json': {}, 'i:x': {}, 'f:ok': 'not an object' } },
    ],
  },
};

const container = { name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 8080, protocol: 'TCP' }] };

function names(owners: Owner[] | undefined): string[] | undefined {
  return owners?.map((o) => o.entry.manager);
}

describe('parseManagedFields', () => {
  it('keeps well-formed entries with manager, operation, subresource and time, and skips malformed ones', () => {
    const entries = parseManagedFields(live);
    expect(entries.map((e) => e.manager)).toEqual(['argocd-controller', 'kubectl-set', 'kubectl', 'legacy-tool', 'broken']);
    expect(entries[2]).toMatchObject({ manager: 'kubectl', operation: 'Update', subresource: 'scale', time: '2025-02-01T11:00:00Z' });
    expect(entries[4]).toMatchObject({ manager: 'broken', operation: 'Update' });
    expect(entries[4]?.time).toBeUndefined();
  });

  it('returns nothing for objects without managedFields or with garbage in their place', () => {
    expect(parseManagedFields({})).toEqual([]);
    expect(parseManagedFields({ metadata: { managedFields: 'nope' } })).toEqual([]);
    expect(parseManagedFields({ metadata: [] })).toEqual([]);
  });
});

describe('ownership index', () => {
  const index = buildOwnershipIndex(parseManagedFields(live));

  it('finds the owner of an f: field', () => {
    expect(names(findOwners(index, ['spec', 'replicas']))).toEqual(['kubectl']);
  });

  it('matches a k:{"name":"web"} list item by its key, whatever the other fields', () => {
    expect(names(findOwners(index, ['spec', 'template', 'spec', 'containers', { item: container, index: 3 }, 'image']))).toEqual(['argocd-controller']);
    expect(names(findOwners(index, ['spec', 'template', 'spec', 'containers', { item: { name: 'other' }, index: 0 }, 'image']))).toBeUndefined();
  });

  it('matches a compound key, defaulting the protocol when the item omits it', () => {
    const steps = ['spec', 'template', 'spec', 'containers', { item: container, index: 0 }, 'ports'];
    expect(names(findOwners(index, [...steps, { item: { containerPort: 8080 }, index: 0 }, 'containerPort']))).toEqual(['argocd-controller']);
    expect(names(findOwners(index, [...steps, { item: { containerPort: 8080, protocol: 'UDP' }, index: 0 }, 'containerPort']))).toBeUndefined();
  });

  it('owns a list item through its "." entry (an env var added with kubectl set env)', () => {
    const env = ['spec', 'template', 'spec', 'containers', { item: container, index: 0 }, 'env', { item: { name: 'DEBUG', value: '1' }, index: 0 }];
    const owners = findOwners(index, env);
    expect(names(owners)).toEqual(['kubectl-set']);
    expect(owners?.[0]?.leaf).toBe(false);
  });

  it('matches a v: set item by value and an i: item by index', () => {
    expect(names(findOwners(index, ['metadata', 'finalizers', { item: 'example.com/protect', index: 0 }]))).toEqual(['argocd-controller']);
    expect(names(findOwners(index, ['metadata', 'finalizers', { item: 'example.com/other', index: 0 }]))).toBeUndefined();
    expect(names(findOwners(index, ['spec', 'template', 'spec', 'tolerations', { item: { key: 'k' }, index: 0 }, 'key']))).toEqual(['legacy-tool']);
    expect(names(findOwners(index, ['spec', 'template', 'spec', 'tolerations', { item: { key: 'k' }, index: 1 }, 'key']))).toBeUndefined();
  });

  it('falls back to the owner of an atomic ancestor (f:selector: {} owns everything inside)', () => {
    expect(names(findOwners(index, ['spec', 'selector', 'matchLabels', 'app']))).toEqual(['argocd-controller']);
    // A "." owner only owns the item's existence, not fields nobody listed.
    expect(findOwners(index, ['spec', 'template', 'spec', 'containers', { item: container, index: 0 }, 'resources'])).toBeUndefined();
  });

  it('for a field absent from live (exact=false) only an atomic ancestor can answer', () => {
    expect(findOwners(index, ['spec', 'replicas'], false)).toBeUndefined();
    expect(names(findOwners(index, ['spec', 'selector', 'matchLabels'], false))).toEqual(['argocd-controller']);
  });

  it('marks where manual managers own something, so live-only scans can skip the rest', () => {
    expect(index.root.fields?.get('spec')?.manualBelow).toBe(true);
    expect(index.root.fields?.get('metadata')?.manualBelow).toBe(false);
  });

  it('ignores keys it cannot parse instead of throwing', () => {
    expect(() => buildOwnershipIndex(parseManagedFields(live))).not.toThrow();
    expect(names(findOwners(index, ['ok']))).toEqual(['broken']);
  });
});

describe('manager classes', () => {
  it('kubectl and kubectl-* are manual', () => {
    for (const m of ['kubectl', 'kubectl-edit', 'kubectl-set', 'kubectl-client-side-apply', 'kubectl-taint', 'kubectl-rollout']) {
      expect(classifyManager(m), m).toBe('manual');
    }
  });

  it('controllers, GitOps and IaC tools are automation', () => {
    for (const m of [
      'kube-controller-manager',
      'kubelet',
      'argocd',
      'argocd-controller',
      'argocd-application-controller',
      'flux',
      'kustomize-controller',
      'helm-controller',
      'helm',
      'terraform-provider-kubernetes',
      'cert-manager-cainjector',
      'external-secrets',
      'prometheus-operator',
      'manager',
      'before-first-apply',
    ]) {
      expect(classifyManager(m), m).toBe('automation');
    }
  });

  it('unknown binaries are manual until configured as automation', () => {
    expect(classifyManager('main')).toBe('manual');
    expect(classifyManager('fix-prod.sh')).toBe('manual');
    expect(classifyManager('janitor', compileManagerPattern(['janitor']))).toBe('automation');
    expect(classifyManager('ci-kubectl', compileManagerPattern(['ci-*']))).toBe('automation');
    expect(classifyManager('kubectl-client-side-apply', compileManagerPattern(['kubectl-client-side-apply']))).toBe('automation');
  });

  it('names the most recent owner, preferring a manual one when asked', () => {
    const index = buildOwnershipIndex([
      { manager: 'argocd', operation: 'Update', time: '2025-01-02T00:00:00Z', fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
      { manager: 'kubectl', operation: 'Apply', time: '2025-01-01T00:00:00Z', fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
    ]);
    const owners = findOwners(index, ['spec', 'replicas']) ?? [];
    expect(pickOwner(owners)?.entry.manager).toBe('argocd');
    const manual = pickOwner(owners, true);
    expect(manual && toAttribution(manual)).toEqual({ manager: 'kubectl', operation: 'Apply', time: '2025-01-01T00:00:00Z', managerClass: 'manual' });
  });
});
