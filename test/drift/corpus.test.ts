/**
 * The Argo CD corpus (../shared/fixtures/k8s-diff/, see its MANIFEST.md): real objects from real
 * clusters, each pair with the verdict Argo CD's own tests assert. Our engine must agree, under the
 * options each verdict names, and name the differing fields.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { diffObjects } from '../../src/drift/diff.js';
import { makeFingerprint } from '../../src/drift/fingerprint.js';
import type { DiffOptions, DiffResult, KubeObject } from '../../src/drift/types.js';
import { sharedFixtures } from '../support/shared-fixtures.js';

// Skipped without ../shared (test/drift/controller-fields.test.ts and incidents.test.ts cover the
// same rules on own fixtures); a failure in CI.
const corpus = sharedFixtures('k8s-diff');

function load(name: string): KubeObject {
  return parse(readFileSync(corpus.path(name), 'utf8')) as KubeObject;
}

function diff(desired: string, live: string, options?: DiffOptions): DiffResult {
  return diffObjects(load(desired), load(live), options);
}

const paths = (r: DiffResult) => r.differences.map((d) => d.path).sort();

describe.skipIf(!corpus.present)('gitops-engine legacy three-way / two-way pairs', () => {
  it('deployment: in sync despite server defaults and an extra env var never declared (TestThreeWayDiffExample3)', () => {
    const r = diff('gitops-engine/deployment-config.json', 'gitops-engine/deployment-live.json');
    expect(r.differences).toEqual([]);
    expect(r.inSync).toBe(true);
    expect(r.threeWay).toBe(true);
  });

  it('elasticsearch StatefulSet: in sync despite defaults and volumeClaimTemplates status (TestThreeWayDiffExample2)', () => {
    const r = diff('gitops-engine/elasticsearch-config.json', 'gitops-engine/elasticsearch-live.json');
    expect(r.differences).toEqual([]);
  });

  it('elasticsearch StatefulSet: label added, changed and removed in desired is drift on exactly those labels (TestThreeWayDiffExample2WithDifference)', () => {
    const config = load('gitops-engine/elasticsearch-config.json');
    const labels = (config['metadata'] as { labels: Record<string, string> }).labels;
    labels['foo'] = 'bar';
    labels['chart'] = 'elasticsearch-1.7.1';
    delete labels['release'];
    const r = diffObjects(config, load('gitops-engine/elasticsearch-live.json'));
    expect(r.inSync).toBe(false);
    expect(r.differences).toEqual([
      expect.objectContaining({ path: '/metadata/labels/chart', kind: 'changed', desired: 'elasticsearch-1.7.1', live: 'elasticsearch-1.7.0' }),
      expect.objectContaining({ path: '/metadata/labels/foo', kind: 'missing', desired: 'bar', live: undefined }),
      // Declared at the last apply, removed from desired, still live: three-way drift.
      expect.objectContaining({ path: '/metadata/labels/release', kind: 'extra', desired: undefined, live: 'elasticsearch4' }),
    ]);
  });

  it('mutating webhook configuration: in sync despite injected caBundle and webhook defaults (TestThreeWayDiffExample4)', () => {
    expect(diff('gitops-engine/mutatingwebhookconfig-config.json', 'gitops-engine/mutatingwebhookconfig-live.json').differences).toEqual([]);
  });

  it('endpoints: in sync once protocols default to TCP (TestUnsortedEndpoints)', () => {
    expect(diff('gitops-engine/endpoints-config.json', 'gitops-engine/endpoints-live.json').differences).toEqual([]);
  });

  it('aggregated ClusterRole: drift on rules without the option, in sync with ignoreAggregatedRoles (TestDiffOptionIgnoreAggregateRoles)', () => {
    const strict = diff('gitops-engine/aggr-clusterrole-config.json', 'gitops-engine/aggr-clusterrole-live.json', { ignoreAggregatedRoles: false });
    expect(strict.inSync).toBe(false);
    expect(paths(strict)).toEqual(['/rules']);
    const lenient = diff('gitops-engine/aggr-clusterrole-config.json', 'gitops-engine/aggr-clusterrole-live.json', { ignoreAggregatedRoles: true });
    expect(lenient.differences).toEqual([]);
  });

  it('wordpress Secret: null and "" values are the same, old last-applied value does not matter (TestNullSecretData)', () => {
    expect(diff('gitops-engine/wordpress-config.json', 'gitops-engine/wordpress-live.json').differences).toEqual([]);
  });

  it('wordpress Secret: masked values of different lengths are drift, shown only as fingerprints (TestRedactedSecretData)', () => {
    const config = load('gitops-engine/wordpress-config.json');
    const live = load('gitops-engine/wordpress-live.json');
    const configData = config['data'] as Record<string, string>;
    const liveData = live['data'] as Record<string, string>;
    configData['wordpress-password'] = '++++++++';
    configData['smtp-password'] = '++++++++';
    liveData['wordpress-password'] = '++++++++++++';
    liveData['smtp-password'] = '++++++++++++';
    const r = diffObjects(config, live, { fingerprint: makeFingerprint(Buffer.from('corpus-test-key')) });
    expect(r.inSync).toBe(false);
    expect(paths(r)).toEqual(['/data/smtp-password', '/data/wordpress-password']);
    for (const d of r.differences) {
      expect(d.sensitive).toBe(true);
      expect(d.desired).toMatch(/^hmac-sha256:[0-9a-f]{16}$/);
      expect(d.live).toMatch(/^hmac-sha256:[0-9a-f]{16}$/);
      expect(d.desired).not.toEqual(d.live);
    }
    expect(JSON.stringify(r)).not.toContain('++++');
  });

  it('sealed secret: creationTimestamp null in config is not drift (TestNullCreationTimestamp)', () => {
    expect(diff('gitops-engine/sealedsecret-config.json', 'gitops-engine/sealedsecret-live.json').differences).toEqual([]);
  });

  it('grafana ClusterRole: rules [] and null are the same (TestNullRoleRule)', () => {
    expect(diff('gitops-engine/grafana-clusterrole-config.json', 'gitops-engine/grafana-clusterrole-live.json').differences).toEqual([]);
  });
});

describe.skipIf(!corpus.present)('gitops-engine structured-merge and server-side pairs', () => {
  it('smd deployment: only server defaults differ, in sync (TestStructuredMergeDiff "will apply deployment defaults correctly")', () => {
    expect(diff('gitops-engine/smd-deploy-config.yaml', 'gitops-engine/smd-deploy-live.yaml').differences).toEqual([]);
  });

  it('smd service: drift on exactly the targetPort of port rtmp, keyed by (port, TCP) though the config omits the protocol', () => {
    const r = diff('gitops-engine/smd-service-config.yaml', 'gitops-engine/smd-service-live.yaml');
    expect(r.inSync).toBe(false);
    expect(r.differences).toEqual([
      {
        path: '/spec/ports/port=1935,protocol=TCP/targetPort',
        kind: 'changed',
        desired: 1936,
        live: 1935,
        sensitive: false,
        attribution: { manager: 'argocd-controller', operation: 'Apply', time: '2022-06-24T19:45:02Z', managerClass: 'automation' },
      },
    ]);
  });

  it('ssd deployment changed with kubectl apply: the missing port 40 (legacy verdict) and the hand-added container idle', () => {
    const r = diff('gitops-engine/ssd-deploy-with-manual-apply-config.yaml', 'gitops-engine/ssd-deploy-with-manual-apply-live.yaml');
    expect(r.inSync).toBe(false);
    expect(r.threeWay).toBe(false);
    expect(paths(r)).toEqual([
      '/spec/template/spec/containers/name=idle',
      '/spec/template/spec/containers/name=main-container/ports/containerPort=40,protocol=TCP',
    ]);
    const port = r.differences.find((d) => d.path.endsWith('containerPort=40,protocol=TCP'));
    expect(port).toMatchObject({ kind: 'missing', desired: { containerPort: 40, name: 'https' }, live: undefined });
    const idle = r.differences.find((d) => d.path.endsWith('name=idle'));
    expect(idle).toMatchObject({
      kind: 'extra',
      desired: undefined,
      live: { name: 'idle', image: 'spurin/idle:latest' },
      attribution: { manager: 'kubectl-client-side-apply', operation: 'Update', time: '2025-02-25T01:29:34Z', managerClass: 'manual' },
    });
  });
});

describe.skipIf(!corpus.present)('argo-cd pairs', () => {
  const desired = 'argo-cd/desired_deployment.yaml';
  const live = 'argo-cd/live_deployment_with_managed_replica.yaml';

  it('managed replicas: without trusted managers both replicas and revisionHistoryLimit drift', () => {
    const r = diff(desired, live, { trustedManagers: [] });
    expect(r.inSync).toBe(false);
    expect(r.differences).toEqual([
      expect.objectContaining({ path: '/spec/replicas', kind: 'changed', desired: 3, live: 2 }),
      expect.objectContaining({ path: '/spec/revisionHistoryLimit', kind: 'changed', desired: 1, live: 3 }),
    ]);
  });

  it('managed replicas: a manager that owns nothing does not hide the replicas drift (TestStateDiff "some-other-manager")', () => {
    expect(paths(diff(desired, live, { trustedManagers: ['some-other-manager'] }))).toEqual(['/spec/replicas', '/spec/revisionHistoryLimit']);
  });

  it('managed replicas: kube-controller-manager trusted (the default) suppresses replicas, still modified (TestStateDiff)', () => {
    const explicit = diff(desired, live, { trustedManagers: ['kube-controller-manager'] });
    expect(explicit.inSync).toBe(false);
    expect(paths(explicit)).toEqual(['/spec/revisionHistoryLimit']);
    expect(paths(diff(desired, live))).toEqual(['/spec/revisionHistoryLimit']);
  });

  it('managed replicas: ignore pointer /spec/replicas suppresses replicas, still modified (TestStateDiff jsonPointers)', () => {
    const r = diff(desired, live, { trustedManagers: [], ignorePointers: ['/spec/replicas'] });
    expect(r.inSync).toBe(false);
    expect(paths(r)).toEqual(['/spec/revisionHistoryLimit']);
  });

  it('managed replicas: trusting kube-controller-manager and revision-history-manager leaves nothing (TestNormalize)', () => {
    expect(diff(desired, live, { trustedManagers: ['kube-controller-manager', 'revision-history-manager'] }).differences).toEqual([]);
  });

  it('validating webhook: caBundle drift without trust, attributed to external-secrets', () => {
    const r = diff('argo-cd/desired_validating_webhook.yaml', 'argo-cd/live_validating_webhook.yaml');
    expect(r.inSync).toBe(false);
    expect(r.differences).toHaveLength(1);
    expect(r.differences[0]).toMatchObject({
      path: '/webhooks/name=validate.externalsecret.external-secrets.io/clientConfig/caBundle',
      kind: 'changed',
      desired: 'Cg==',
      attribution: { manager: 'external-secrets', operation: 'Update', time: '2022-04-12T14:17:37Z' },
    });
  });

  it('validating webhook: caBundle inside the keyed list suppressed with trusted manager external-secrets (TestNormalize "inside a list")', () => {
    const r = diff('argo-cd/desired_validating_webhook.yaml', 'argo-cd/live_validating_webhook.yaml', { trustedManagers: ['external-secrets'] });
    expect(r.differences).toEqual([]);
  });

  it('target deployment: with no rules, the janitor annotation and the replicas drift (TestNormalizeTargetResources)', () => {
    const r = diff('argo-cd/target-deployment.yaml', 'argo-cd/live-deployment.yaml', { trustedManagers: [] });
    expect(r.differences).toEqual([
      expect.objectContaining({ path: '/metadata/annotations/iksm-version', desired: '1.0', live: '2.0', attribution: expect.objectContaining({ manager: 'janitor', operation: 'Apply' }) }),
      expect.objectContaining({ path: '/spec/replicas', desired: 1, live: 4 }),
    ]);
  });

  it('target deployment: janitor trusted leaves only replicas; plus ignore /spec/replicas it is in sync', () => {
    expect(paths(diff('argo-cd/target-deployment.yaml', 'argo-cd/live-deployment.yaml', { trustedManagers: ['janitor'] }))).toEqual(['/spec/replicas']);
    const r = diff('argo-cd/target-deployment.yaml', 'argo-cd/live-deployment.yaml', { trustedManagers: ['janitor'], ignorePointers: ['/spec/replicas'] });
    expect(r.differences).toEqual([]);
  });
});
