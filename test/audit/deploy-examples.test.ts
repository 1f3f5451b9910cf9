import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { watchedResources } from '../../src/audit/watched.js';
import { DEFAULT_KINDS } from '../../src/k8s/discovery.js';

const read = (name: string) => parse(readFileSync(new URL(`../../deploy/audit/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;

describe('the audit install examples', () => {
  it('the policy logs writes to every kind Stopgap watches by default at RequestResponse, Secrets at Metadata, and no reads', () => {
    const policy = read('policy.yaml') as { apiVersion: string; kind: string; omitStages: string[]; rules: { level: string; verbs?: string[]; resources?: { group: string; resources: string[] }[] }[] };
    expect(policy).toMatchObject({ apiVersion: 'audit.k8s.io/v1', kind: 'Policy' });
    expect(policy.omitStages).toEqual(['RequestReceived', 'ResponseStarted']);
    expect(policy.rules[0]).toEqual({ level: 'None', verbs: ['get', 'list', 'watch'] });
    const secrets = policy.rules.find((r) => r.resources?.some((g) => g.resources.includes('secrets')));
    expect(secrets?.level).toBe('Metadata');
    const writes = policy.rules.find((r) => r.level === 'RequestResponse');
    const logged = new Set((writes?.resources ?? []).flatMap((g) => g.resources.map((r) => (g.group === '' ? r : `${g.group}/${r}`))));
    for (const key of watchedResources(DEFAULT_KINDS)) {
      if (key === 'secrets') continue;
      expect(logged.has(key), key).toBe(true);
    }
    expect(logged.has('apps/deployments/scale')).toBe(true);
    expect(policy.rules.at(-1)).toEqual({ level: 'None' });
  });

  it('the webhook kubeconfig points at /k8s/audit with a cluster and a bearer token to replace', () => {
    const kubeconfig = read('webhook-kubeconfig.yaml') as { clusters: { cluster: { server: string } }[]; users: { user: { token: string } }[] };
    const server = new URL(kubeconfig.clusters[0]?.cluster.server ?? '');
    expect(server.pathname).toBe('/k8s/audit');
    expect(server.searchParams.get('cluster')).toBeTruthy();
    expect(kubeconfig.users[0]?.user.token).toMatch(/^REPLACE-/);
  });
});
