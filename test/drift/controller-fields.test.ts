/**
 * Fields written by the API server and by controllers, on our own fixtures (test/fixtures/k8s/): the
 * behaviours the Argo CD corpus suite (test/drift/corpus.test.ts) checks on real objects, so that a
 * clone without the peer fixtures still covers them. This suite reads only the project's own files.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { diffObjects } from '../../src/drift/diff.js';
import { parseManifestText } from '../../src/drift/manifest-parser.js';
import type { DiffOptions, DiffResult, KubeObject } from '../../src/drift/types.js';

const fixtures = new URL('../fixtures/k8s/', import.meta.url);

function load(name: string): KubeObject {
  const [doc] = parseManifestText(readFileSync(fileURLToPath(new URL(name, fixtures)), 'utf8')).documents;
  return doc?.value as KubeObject;
}

function diff(desired: string, live: string, options?: DiffOptions): DiffResult {
  return diffObjects(load(desired), load(live), options);
}

const CA_BUNDLE = '/webhooks/name=validate.payments.example.com/clientConfig/caBundle';

describe('fields the API server and controllers write', () => {
  it('a webhook whose caBundle a cert injector replaced: drift on that field of the keyed list alone, attributed to the injector', () => {
    const r = diff('webhook-desired.yaml', 'webhook-live-injected.yaml');
    // Server defaults (failurePolicy, selectors, service port) and creationTimestamp: null are not drift.
    expect(r.differences).toEqual([
      expect.objectContaining({
        path: CA_BUNDLE,
        kind: 'changed',
        desired: 'Cg==',
        attribution: expect.objectContaining({ manager: 'cert-injector', operation: 'Update', time: '2025-03-01T09:00:02Z' }),
      }),
    ]);
  });

  it('the same webhook is in sync once the injector is a trusted manager, or the field ignored', () => {
    expect(diff('webhook-desired.yaml', 'webhook-live-injected.yaml', { trustedManagers: ['cert-injector'] }).differences).toEqual([]);
    expect(diff('webhook-desired.yaml', 'webhook-live-injected.yaml', { ignorePointers: ['/webhooks/*/clientConfig/caBundle'] }).differences).toEqual([]);
  });

  it('an aggregated ClusterRole: rules once declared and now filled in by aggregation are drift, unless ignoreAggregatedRoles', () => {
    const strict = diff('clusterrole-aggregated-desired.yaml', 'clusterrole-aggregated-live.yaml');
    expect(strict.inSync).toBe(false);
    expect(strict.threeWay).toBe(true);
    expect(strict.differences.map((d) => d.path)).toEqual(['/rules']);
    const lenient = diff('clusterrole-aggregated-desired.yaml', 'clusterrole-aggregated-live.yaml', { ignoreAggregatedRoles: true });
    expect(lenient.differences).toEqual([]);
    expect(lenient.inSync).toBe(true);
  });
});
