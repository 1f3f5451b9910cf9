import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { changedFields, MAX_CHANGED_FIELDS, samePlace } from '../../src/audit/changed-fields.js';
import { keepDecision, parseAuditBody, type AuditEvent } from '../../src/audit/events.js';
import { watchedResources } from '../../src/audit/watched.js';
import { makeFingerprint } from '../../src/drift/fingerprint.js';
import { sharedFixtures } from '../support/shared-fixtures.js';
import { kubectlEvent, type KubectlChange } from '../../src/demo/kubectl-audit.js';

const fingerprint = makeFingerprint(Buffer.alloc(32, 7));
const fieldsOf = (event: Record<string, unknown>, sensitivePointers?: string[]) =>
  changedFields(event as AuditEvent, { fingerprint, ...(sensitivePointers ? { sensitivePointers } : {}) });

describe('the fields an audited write changed', () => {
  it('reads each kubectl change as the drift engine names the field', () => {
    const expected: Record<KubectlChange, { path: string; value: string }[]> = {
      scale: [{ path: '/spec/replicas', value: '12' }],
      edit: [{ path: '/data/LOG_LEVEL', value: '"debug"' }],
      'set-image': [{ path: '/spec/template/spec/containers/name=api/image', value: '"registry.example.com/checkout:0.9.7"' }],
      cordon: [{ path: '/spec/unschedulable', value: 'true' }],
      annotate: [{ path: '/metadata/annotations/team.example~1owner', value: '"payments"' }],
    };
    for (const [change, fields] of Object.entries(expected)) expect(fieldsOf(kubectlEvent(change as KubectlChange)), change).toEqual(fields);
  });

  it('reads a JSON patch by its operations, and a merge patch null as a removal', () => {
    const jsonPatch = { ...kubectlEvent('edit'), requestObject: [{ op: 'test', path: '/data/A', value: 'x' }, { op: 'replace', path: '/data/A', value: 'y' }, { op: 'remove', path: '/data/B' }] };
    expect(fieldsOf(jsonPatch)).toEqual([{ path: '/data/A', value: '"y"' }, { path: '/data/B', value: 'null' }]);
    expect(fieldsOf({ ...kubectlEvent('edit'), requestObject: { data: { OLD: null } } })).toEqual([{ path: '/data/OLD', value: 'null' }]);
  });

  it('skips strategic-merge directives, what names the object and what the server keeps', () => {
    const update = {
      ...kubectlEvent('set-image'),
      verb: 'update',
      requestObject: {
        kind: 'Deployment',
        apiVersion: 'apps/v1',
        metadata: { name: 'checkout', namespace: 'shop', resourceVersion: '42', managedFields: [{ manager: 'x' }], annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"big":"copy"}' } },
        spec: { $retainKeys: ['strategy'], replicas: 2, template: { spec: { $setElementOrder: [{ name: 'api' }], containers: [{ name: 'api', image: 'x:1', ports: [{ containerPort: 80, protocol: 'TCP' }] }] } } },
        status: { replicas: 2 },
      },
    };
    expect(fieldsOf(update)?.map((f) => f.path)).toEqual([
      '/spec/replicas',
      '/spec/template/spec/containers/name=api/image',
      '/spec/template/spec/containers/name=api/ports/containerPort=80,protocol=TCP',
    ]);
  });

  it('keeps a Secret\'s data, sensitive pointers, credential-named keys and token-like text only as fingerprints', () => {
    const value = 'hunter2-db-password';
    const secret = { ...kubectlEvent('edit'), objectRef: { resource: 'secrets', namespace: 'shop', name: 'db', apiVersion: 'v1' }, requestObject: { data: { password: Buffer.from(value).toString('base64') }, stringData: { user: value }, type: 'Opaque' } };
    const fields = fieldsOf(secret) ?? [];
    expect(fields.map((f) => f.path)).toEqual(['/data/password', '/stringData/user', '/type']);
    expect(fields[0]?.value).toBe(fingerprint(Buffer.from(value).toString('base64')));
    expect(fields[1]?.value).toBe(fingerprint(value));
    expect(fields[2]?.value).toBe('"Opaque"');
    const configMap = { ...kubectlEvent('edit'), requestObject: { data: { DB_PASSWORD: value, SLACK: 'xoxb-1234567890-abcdefghijkl', LICENSE: 'abc', LEVEL: 'info' } } };
    const cm = fieldsOf(configMap, ['/data/LICENSE']) ?? [];
    expect(JSON.stringify(cm)).not.toMatch(/hunter2|xoxb|"abc"/);
    expect(cm.find((f) => f.path === '/data/LEVEL')?.value).toBe('"info"');
    expect(cm.filter((f) => f.value.startsWith('hmac-sha256:'))).toHaveLength(3);
  });

  it('hides a value under a credential-named list item or the last-applied copy, wherever it is', () => {
    const value = 'hunter2xyz-not-a-token';
    const env = { ...kubectlEvent('set-image'), requestObject: { spec: { template: { spec: { containers: [{ name: 'api', env: [{ name: 'DB_PASSWORD', value }, { name: 'MODE', value: 'live' }] }] } } } } };
    const fields = fieldsOf(env) ?? [];
    expect(JSON.stringify(fields)).not.toContain(value);
    expect(fields.find((f) => f.path.endsWith('/env/name=DB_PASSWORD/value'))?.value).toMatch(/^hmac-sha256:/);
    expect(fields.find((f) => f.path.endsWith('/env/name=MODE/value'))?.value).toBe('"live"');
    const lastApplied = { ...kubectlEvent('edit'), requestObject: [{ op: 'add', path: '/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration', value: `{"data":{"password":"${value}"}}` }] };
    expect(JSON.stringify(fieldsOf(lastApplied))).not.toContain(value);
  });

  it('stops walking a hostile, deeply nested body instead of overflowing the stack', () => {
    let deep: Record<string, unknown> = { leaf: 'x' };
    for (let i = 0; i < 20_000; i++) deep = { a: deep };
    const fields = fieldsOf({ ...kubectlEvent('edit'), requestObject: { spec: deep } }) ?? [];
    expect(fields).toHaveLength(1);
    expect(fields[0]?.value).toBe('"(nested too deep to keep)"');
    const patch = fieldsOf({ ...kubectlEvent('edit'), requestObject: [{ op: 'add', path: '/spec/x', value: deep }] }) ?? [];
    expect(patch[0]?.value).toBe('"(nested too deep to keep)"');
  });

  it('keeps values short and at most a hundred paths', () => {
    const data = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`K${String(i).padStart(3, '0')}`, 'v'.repeat(500)]));
    const fields = fieldsOf({ ...kubectlEvent('edit'), verb: 'create', requestObject: { kind: 'ConfigMap', metadata: { name: 'big' }, data } }) ?? [];
    expect(fields).toHaveLength(MAX_CHANGED_FIELDS);
    expect(Math.max(...fields.map((f) => f.value.length))).toBeLessThanOrEqual(120);
  });

  it('has nothing to say without a body (Metadata level), for a delete, or for a body that is not an object', () => {
    const { requestObject: _, ...metadataOnly } = kubectlEvent('scale');
    expect(fieldsOf(metadataOnly)).toBeUndefined();
    expect(fieldsOf({ ...kubectlEvent('edit'), verb: 'delete', requestObject: { kind: 'DeleteOptions' } })).toBeUndefined();
    expect(fieldsOf({ ...kubectlEvent('edit'), requestObject: 'text' })).toBeUndefined();
  });

  it('tells when a changed path and a drifted path are about the same field', () => {
    expect(samePlace('/spec/replicas', '/spec/replicas')).toBe(true);
    expect(samePlace('/data', '/data/A')).toBe(true);
    expect(samePlace('/data/A/x', '/data/A')).toBe(true);
    expect(samePlace('/data/AB', '/data/A')).toBe(false);
  });

  it('is kept with the record only when a fingerprint is given', () => {
    const watched = watchedResources([{ group: '', kind: 'ConfigMap' }]);
    const event = kubectlEvent('edit') as AuditEvent;
    const without = keepDecision(event, { watched, automationUsers: [] });
    const withFp = keepDecision(event, { watched, automationUsers: [], fingerprint });
    expect(without.keep && without.record.changed).toBeUndefined();
    expect(withFp.keep && withFp.record.changed).toEqual([{ path: '/data/LOG_LEVEL', value: '"debug"' }]);
  });
});

const corpus = sharedFixtures('k8s-audit');
describe.skipIf(!corpus.present)('the fields changed in the shared audit corpus', () => {
  const events = (file: string) => parseAuditBody(readFileSync(corpus.path(file), 'utf8'))?.events ?? [];

  it('reads a created object (Request and RequestResponse levels) as its fields, without what names it', () => {
    const [deployment] = events('falco/create_deployment.json');
    const paths = changedFields(deployment as AuditEvent, { fingerprint })?.map((f) => f.path) ?? [];
    expect(paths).toContain('/spec/replicas');
    expect(paths.some((p) => p.startsWith('/spec/template/spec/containers/name=nginx1/'))).toBe(true);
    expect(paths.filter((p) => p.startsWith('/metadata/name') || p.startsWith('/status'))).toEqual([]);
    const [configMap] = events('falco/create_configmap.json');
    expect(changedFields(configMap as AuditEvent, { fingerprint })?.every((f) => f.path.startsWith('/data/'))).toBe(true);
  });

  it('reads an apply patch without its last-applied copy, and fingerprints the sensitive ConfigMap values', () => {
    const [patch] = events('falco/modify_cluster_role_node_problem_detector.json');
    expect(changedFields(patch as AuditEvent, { fingerprint })?.map((f) => f.path)).toEqual(['/rules']);
    const sensitive = events('falco/create_configmap_sensitive_values.json').map((e) => changedFields(e, { fingerprint }));
    expect(sensitive).toHaveLength(6);
    expect(JSON.stringify(sensitive)).not.toMatch(/MY-KEY|MY-ID|aws_secret_access_key/);
    for (const fields of sensitive) expect(fields?.find((f) => f.path === '/data/access.properties')?.value).toMatch(/^hmac-sha256:/);
  });
});
