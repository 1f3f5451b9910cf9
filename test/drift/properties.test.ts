import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffObjects } from '../../src/drift/diff.js';
import { makeFingerprint } from '../../src/drift/fingerprint.js';
import type { DiffOptions, DiffResult, KubeObject } from '../../src/drift/types.js';

const anyObject = fc.dictionary(fc.string(), fc.jsonValue()) as fc.Arbitrary<KubeObject>;

// fieldsV1 sets, valid and not: the parser must survive whatever a cluster (or a bug) sends.
const fieldsKey = fc.constantFrom(
  '.',
  'f:spec',
  'f:metadata',
  'f:labels',
  'f:replicas',
  'f:containers',
  'f:env',
  'f:data',
  'f:a',
  'f:subsets',
  'f:ports',
  'k:{"name":"web"}',
  'k:{"containerPort":80,"protocol":"TCP"}',
  'k:{broken',
  'v:"x"',
  'v:nope',
  'i:0',
  'i:-1',
  'x:unknown',
);
const { fields } = fc.letrec<{ fields: Record<string, unknown> }>((tie) => ({
  fields: fc.dictionary(fieldsKey, fc.oneof({ depthSize: 'small' }, fc.constant({}), tie('fields'), fc.jsonValue()), { maxKeys: 4 }),
}));

const managedFields = fc.array(
  fc.record(
    {
      manager: fc.constantFrom('kubectl', 'kubectl-edit', 'kubectl-set', 'argocd-controller', 'kube-controller-manager', 'main', 'janitor'),
      operation: fc.constantFrom('Apply', 'Update'),
      subresource: fc.constantFrom('scale', 'status', ''),
      time: fc.constantFrom('2025-01-01T00:00:00Z', '2025-03-04T02:47:19Z', null),
      fieldsV1: fields,
    },
    { requiredKeys: ['manager'] },
  ),
  { maxLength: 4 },
);

const container = fc.record(
  {
    name: fc.constantFrom('web', 'api', 'sidecar'),
    image: fc.constantFrom('nginx:1.27', 'nginx:latest', 'busybox'),
    ports: fc.array(fc.record({ containerPort: fc.constantFrom(80, 8080, '80'), protocol: fc.constantFrom('TCP', 'UDP') }, { requiredKeys: ['containerPort'] }), { maxLength: 3 }),
    env: fc.array(fc.record({ name: fc.constantFrom('A', 'B', 'C'), value: fc.string() }), { maxLength: 3 }),
    resources: fc.record({ limits: fc.dictionary(fc.constantFrom('cpu', 'memory'), fc.constantFrom('1', '1000m', 0.5, '1Gi', '1024Mi', 'bogus', 3)) }),
  },
  { requiredKeys: [] },
);

const kubeObject: fc.Arbitrary<KubeObject> = fc
  .record(
    {
      apiVersion: fc.constantFrom('v1', 'apps/v1', 'rbac.authorization.k8s.io/v1'),
      kind: fc.constantFrom('Deployment', 'Secret', 'Endpoints', 'ClusterRole', 'ConfigMap', 'Service', 'Node', 'LimitRange'),
      metadata: fc.record(
        {
          name: fc.constantFrom('a', 'b'),
          labels: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.constant(null))),
          annotations: fc.dictionary(fc.constantFrom('kubectl.kubernetes.io/last-applied-configuration', 'x'), fc.oneof(fc.string(), anyObject.map((o) => JSON.stringify(o)))),
          managedFields,
        },
        { requiredKeys: [] },
      ),
      spec: fc.record(
        {
          replicas: fc.oneof(fc.integer(), fc.constant(null)),
          template: fc.record({ spec: fc.record({ containers: fc.array(container, { maxLength: 3 }) }) }),
          ports: fc.array(fc.record({ port: fc.constantFrom(80, 443), targetPort: fc.constantFrom(80, '80', 'http') }), { maxLength: 2 }),
          taints: fc.array(fc.record({ key: fc.constantFrom('a', 'b'), effect: fc.constantFrom('NoSchedule', 'NoExecute') }), { maxLength: 2 }),
        },
        { requiredKeys: [] },
      ),
      data: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.constant(null))),
      stringData: fc.dictionary(fc.string(), fc.string()),
      subsets: fc.array(fc.record({ addresses: fc.array(fc.record({ ip: fc.string() })), ports: fc.array(fc.record({ port: fc.integer() })) })),
      rules: fc.oneof(fc.constant(null), fc.array(fc.jsonValue(), { maxLength: 2 })),
      aggregationRule: fc.constantFrom(undefined, { clusterRoleSelectors: [] }),
      extra: fc.jsonValue(),
    },
    { requiredKeys: ['kind'] },
  )
  .map((o) => o as KubeObject);

const options: fc.Arbitrary<DiffOptions> = fc.record(
  {
    trustedManagers: fc.array(fc.constantFrom('kubectl', 'kube-controller-manager', 'janitor*')),
    automationManagers: fc.array(fc.constantFrom('main', 'kubectl-set')),
    ignorePointers: fc.array(fc.constantFrom('/spec/replicas', '/spec/template/spec/containers/*/image', '/data', 'no-slash', '')),
    ignoreAggregatedRoles: fc.boolean(),
    sensitivePointers: fc.array(fc.constantFrom('/spec/template', '/extra')),
    threeWay: fc.boolean(),
  },
  { requiredKeys: [] },
);

function wellFormed(r: DiffResult): void {
  expect(r.inSync).toBe(r.differences.length === 0);
  for (const d of r.differences) {
    expect(d.path.startsWith('/')).toBe(true);
    expect(['changed', 'missing', 'extra']).toContain(d.kind);
  }
}

describe('diffObjects properties', () => {
  it('keys named like Object.prototype members are data, never inherited values (found by this suite)', () => {
    const lastApplied = JSON.stringify({ toString: false, constructor: { a: 1 } });
    const live = { kind: 'Deployment', metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied } } };
    expect(diffObjects(live, structuredClone(live)).differences).toEqual([]);
    const withProto = JSON.parse('{"kind":"ConfigMap","data":{"__proto__":"x","constructor":"y","toString":"z"}}') as KubeObject;
    expect(diffObjects(withProto, { kind: 'ConfigMap', data: {} }).differences.map((d) => d.path)).toEqual([
      '/data/__proto__',
      '/data/constructor',
      '/data/toString',
    ]);
    expect(diffObjects(withProto, JSON.parse(JSON.stringify(withProto)) as KubeObject).differences).toEqual([]);
  });

  it('an arbitrary JSON object is in sync with itself, and with a deep copy of itself', () => {
    fc.assert(
      fc.property(anyObject, options, (x, o) => {
        expect(diffObjects(x, x, o).differences).toEqual([]);
        expect(diffObjects(x, structuredClone(x), o).differences).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('an arbitrary Kubernetes-shaped object (managedFields, last-applied, per-kind rules) is in sync with itself', () => {
    fc.assert(
      fc.property(kubeObject, options, (x, o) => {
        expect(diffObjects(x, structuredClone(x), o).differences).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws on arbitrary input and always returns well-formed differences', () => {
    fc.assert(
      fc.property(fc.oneof(anyObject, kubeObject), fc.oneof(anyObject, kubeObject), options, (a, b, o) => {
        wellFormed(diffObjects(a, b, o));
      }),
      { numRuns: 1000 },
    );
  });

  it('never puts a Secret value in its result, whatever differs', () => {
    const secretValue = fc.stringMatching(/^[A-Za-z0-9]{6,12}$/).map((s) => `S3CR3T${s}`);
    const secret = fc.record({
      apiVersion: fc.constant('v1'),
      kind: fc.constant('Secret'),
      metadata: fc.record({ name: fc.constant('s'), managedFields }),
      data: fc.dictionary(fc.constantFrom('a', 'b', 'c'), secretValue),
      stringData: fc.dictionary(fc.constantFrom('a', 'd'), secretValue),
    }) as fc.Arbitrary<KubeObject>;
    const fingerprint = makeFingerprint(Buffer.from('property-test'));
    fc.assert(
      fc.property(secret, secret, fc.boolean(), (a, b, withFingerprint) => {
        const text = JSON.stringify(diffObjects(a, b, withFingerprint ? { fingerprint } : {}));
        expect(text).not.toMatch(/S3CR3T/);
        // Nor their base64 form (stringData is encoded before comparing).
        for (const obj of [a, b]) {
          for (const v of Object.values((obj['stringData'] ?? {}) as Record<string, string>)) {
            expect(text).not.toContain(Buffer.from(v).toString('base64'));
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
