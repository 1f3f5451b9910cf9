import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { keepDecision, parseAuditBody, type AuditEvent } from '../../src/audit/events.js';
import { pluralOf, watchedResources } from '../../src/audit/watched.js';
import { sharedFixtures } from '../support/shared-fixtures.js';
import { kubectlEvent } from '../../src/demo/kubectl-audit.js';

const WATCHED = watchedResources([
  { group: 'apps', kind: 'Deployment' },
  { group: '', kind: 'ConfigMap' },
  { group: '', kind: 'Node' },
  { group: '', kind: 'Secret' },
  { kind: 'NetworkPolicy' },
]);
const keep = (e: unknown, automationUsers: string[] = []) => keepDecision(e as AuditEvent, { watched: WATCHED, automationUsers });

describe('what the audit webhook keeps', () => {
  it('keeps the writes kubectl makes by hand, with who, how and when, and never a body', () => {
    const scale = keep(kubectlEvent('scale', { user: 'alice@corp.example' }));
    expect(scale).toEqual({
      keep: true,
      record: expect.objectContaining({ verb: 'patch', resource: 'deployments', apiGroup: 'apps', namespace: 'shop', name: 'payments-api', subresource: 'scale', username: 'alice@corp.example', code: 200 }),
    });
    expect(JSON.stringify(scale)).not.toContain('replicas');
    expect(keep(kubectlEvent('edit'))).toMatchObject({ keep: true, record: { resource: 'configmaps', fieldManager: 'kubectl-edit' } });
    expect(keep(kubectlEvent('set-image'))).toMatchObject({ keep: true, record: { resource: 'deployments', fieldManager: 'kubectl-set' } });
    expect(keep(kubectlEvent('cordon'))).toMatchObject({ keep: true, record: { resource: 'nodes', name: 'ip-10-0-1-7', apiGroup: '' } });
    expect(keep(kubectlEvent('annotate'))).toMatchObject({ keep: true, record: { fieldManager: 'kubectl-annotate' } });
  });

  it('leaves out reads, failures, other stages and subresources, unwatched kinds, and system or automation users', () => {
    expect(keep({ ...kubectlEvent('scale'), verb: 'get' })).toEqual({ keep: false, reason: 'verb' });
    expect(keep({ ...kubectlEvent('scale'), responseStatus: { code: 403 } })).toEqual({ keep: false, reason: 'status' });
    expect(keep({ ...kubectlEvent('scale'), stage: 'RequestReceived' })).toEqual({ keep: false, reason: 'stage' });
    expect(keep({ ...kubectlEvent('scale'), objectRef: { resource: 'pods', namespace: 'shop', name: 'web-0', apiVersion: 'v1', subresource: 'exec' } })).toEqual({ keep: false, reason: 'subresource' });
    expect(keep({ ...kubectlEvent('scale'), objectRef: { resource: 'leases', apiGroup: 'coordination.k8s.io', namespace: 'x', name: 'y' } })).toEqual({ keep: false, reason: 'kind' });
    expect(keep(kubectlEvent('scale', { user: 'system:serviceaccount:kube-system:replicaset-controller' }))).toEqual({ keep: false, reason: 'automation' });
    expect(keep(kubectlEvent('scale', { user: 'system:node:ip-10-0-1-7' }))).toEqual({ keep: false, reason: 'automation' });
    expect(keep(kubectlEvent('scale', { user: 'argocd-bot' }), ['argocd-*'])).toEqual({ keep: false, reason: 'automation' });
    // A kind watched without a group matches whatever group serves it.
    expect(keep({ ...kubectlEvent('annotate'), objectRef: { resource: 'networkpolicies', apiGroup: 'networking.k8s.io', namespace: 'shop', name: 'deny-all' } })).toMatchObject({ keep: true });
  });

  it('attributes impersonation to both the caller and the identity acted as', () => {
    const d = keep({ ...kubectlEvent('scale', { user: 'system:admin' }), impersonatedUser: { username: 'bob', groups: ['system:authenticated'] } });
    expect(d).toMatchObject({ keep: true, record: { username: 'system:admin', impersonatedUser: 'bob' } });
  });

  it('reads an EventList, one Event, an array and JSON lines; skips what is not an event; refuses what is not JSON', () => {
    const a = kubectlEvent('scale');
    const b = kubectlEvent('edit');
    expect(parseAuditBody(JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items: [a, b] }))?.events).toHaveLength(2);
    expect(parseAuditBody(JSON.stringify(a))?.events).toHaveLength(1);
    expect(parseAuditBody(JSON.stringify([a, b]))?.events).toHaveLength(2);
    expect(parseAuditBody(`${JSON.stringify(a)}\n\n${JSON.stringify(b)}`)?.events).toHaveLength(2);
    expect(parseAuditBody(JSON.stringify({ items: [a, { nope: 1 }, 7] }))).toMatchObject({ events: [expect.anything()], skipped: [{ index: 1 }, { index: 2 }] });
    expect(parseAuditBody('{"items": [')).toBeUndefined();
    expect(parseAuditBody('')).toBeUndefined();
  });

  it('knows the plural names the audit log uses', () => {
    expect(['Deployment', 'Ingress', 'NetworkPolicy', 'Node', 'HorizontalPodAutoscaler'].map(pluralOf)).toEqual(['deployments', 'ingresses', 'networkpolicies', 'nodes', 'horizontalpodautoscalers']);
  });
});

// Real events from three public projects (see the folder's MANIFEST.md); skipped without ../shared.
const corpus = sharedFixtures('k8s-audit');
describe.skipIf(!corpus.present)('the shared audit corpus', () => {
  const files = [
    'falco/create_deployment.json', 'falco/delete_deployment.json', 'falco/create_configmap.json', 'falco/delete_configmap.json',
    'falco/create_configmap_sensitive_values.json', 'falco/modify_cluster_role_node_problem_detector.json', 'falco/create_nginx_pod_privileged.json',
    'falco/exec_pod.json', 'falco/create_secret.json', 'falco/delete_secret.json', 'hub/k8s-audit-priv-pod-file.log', 'hub/k8s-audit-pod-exec-file.log',
    'audit2rbac/demo-excerpt.log',
  ];
  const all = files.flatMap((f) => {
    const parsed = parseAuditBody(readFileSync(corpus.path(f), 'utf8'));
    if (!parsed) throw new Error(`${f} did not parse`);
    expect(parsed.skipped, f).toEqual([]);
    return parsed.events.map((e) => ({ file: f, event: e }));
  });

  it('reads every event of every encoding (21 in all)', () => {
    expect(all).toHaveLength(21);
  });

  it('keeps exactly the completed, successful writes by people to watched kinds', () => {
    const watched = watchedResources([{ kind: 'Deployment' }, { group: '', kind: 'ConfigMap' }, { group: '', kind: 'Secret' }, { group: '', kind: 'Pod' }]);
    const kept = all.filter(({ event }) => keepDecision(event, { watched, automationUsers: [] }).keep).map(({ file }) => file);
    expect(kept.sort()).toEqual(
      [
        'falco/create_configmap.json',
        'falco/create_deployment.json',
        'falco/delete_configmap.json',
        'falco/delete_deployment.json',
        'falco/create_secret.json',
        'falco/delete_secret.json',
        'hub/k8s-audit-priv-pod-file.log',
        ...Array<string>(6).fill('falco/create_configmap_sensitive_values.json'),
      ].sort(),
    );
    // The controller's pod, the exec sessions and the impersonated lists are not kept.
    const reasons = all.map(({ file, event }) => [file, keepDecision(event, { watched, automationUsers: [] })] as const);
    expect(reasons.find(([f]) => f === 'falco/create_nginx_pod_privileged.json')?.[1]).toEqual({ keep: false, reason: 'automation' });
    expect(reasons.find(([f]) => f === 'falco/exec_pod.json')?.[1]).toMatchObject({ keep: false });
  });

  it('never keeps a value from a request or response body', () => {
    const watched = watchedResources([{ group: '', kind: 'ConfigMap' }]);
    const sensitive = all.filter(({ file }) => file.includes('sensitive_values')).map(({ event }) => keepDecision(event, { watched, automationUsers: [] }));
    expect(JSON.stringify(sensitive)).not.toMatch(/MY-KEY|MY-ID|aws_secret_access_key/);
  });
});
