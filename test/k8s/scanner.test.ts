import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { DriftConfig } from '../../src/config/clusters.js';
import { listActiveFindings, listResolvedFindings } from '../../src/store/findings-store.js';
import { diffObjects } from '../../src/drift/diff.js';
import type { DiffFn } from '../../src/k8s/observe.js';
import { OBJECTS_PER_TURN } from '../../src/k8s/list-kind.js';
import { scanCluster, scanClusters } from '../../src/k8s/scanner.js';
import { openDb } from '../../src/store/db.js';
import type { KubeObject } from '../../src/drift/types.js';
import type { Harness } from './helpers.js';
import { FAST, harness, turnMeter, waitFor } from './helpers.js';
import { FakeScheduler } from '../support/fake-scheduler.js';
import { DEFAULT_FAKE_RESOURCES, startFakeKube, writeKubeconfig } from '../../src/demo/fake-kube.js';
import { desiredConfigMap, desiredDeployment, desiredSecret, liveConfigMap, liveDeployment, liveSecret } from '../../src/demo/kube-objects.js';

const SCALED = { manager: 'kubectl', time: '2025-03-02T09:58:00Z' };
const T0 = new Date('2025-03-02T10:00:00Z');

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

function manifests(objects: KubeObject[], file = 'app.yaml'): string {
  const dir = join(h.dir, 'manifests');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, file), objects.map((o) => stringify(o)).join('---\n'));
  return dir;
}

describe('scan, last-applied desired state', () => {
  it('finds a kubectl scale across pages and attributes it; in-sync objects make no findings', async () => {
    for (let i = 0; i < 5; i++) h.fake.put(liveDeployment({ name: `app-${i}` }));
    h.fake.put(liveDeployment({ name: 'payments-api', replicas: 3, liveReplicas: 6, scaledBy: SCALED }));
    const outcome = await scanCluster(h.cluster({ kinds: ['Deployment'] }), h.deps({ now: () => T0 }));
    expect(outcome).toMatchObject({ cluster: 'prod', ok: true, kinds: [{ kind: 'Deployment', ok: true, objects: 6, findings: 1 }] });
    expect(h.fake.requestsFor('deployments', 'list')).toHaveLength(3); // page size 2
    const findings = listActiveFindings(h.db);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      cluster: 'prod',
      ref: { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'shop', name: 'payments-api' },
      path: '/spec/replicas',
      desired: 3,
      live: 6,
      source: 'last-applied',
      attribution: { manager: 'kubectl', subresource: 'scale', time: SCALED.time, managerClass: 'manual' },
      firstSeen: T0.toISOString(),
    });
    expect(h.events.filter((e) => e.type === 'kind-listed')).toHaveLength(1);
    const runs = h.db.prepare("SELECT outcome, objects, findings FROM drift_scan_runs WHERE kind = 'Deployment'").all();
    expect(runs).toEqual([{ outcome: 'ok', objects: 6, findings: 1 }]);
  });

  it('resolves a finding as reverted on the next scan once the live value is back, and as deleted when the object is gone', async () => {
    h.fake.put(liveDeployment({ name: 'web', replicas: 3, liveReplicas: 6, scaledBy: SCALED }));
    h.fake.put(liveDeployment({ name: 'worker', replicas: 3, liveReplicas: 1, scaledBy: SCALED }));
    await scanCluster(h.cluster({ kinds: ['Deployment'] }), h.deps());
    expect(listActiveFindings(h.db)).toHaveLength(2);
    h.fake.put(liveDeployment({ name: 'web', replicas: 3 }));
    h.fake.delete('apps/v1', 'Deployment', 'worker', 'shop');
    await scanCluster(h.cluster({ kinds: ['Deployment'] }), h.deps());
    expect(listActiveFindings(h.db)).toEqual([]);
    const resolved = listResolvedFindings(h.db, new Date(0)).map((f) => [f.ref.name, f.resolution]);
    expect(resolved.sort()).toEqual([
      ['web', 'reverted'],
      ['worker', 'deleted'],
    ]);
  });

  it('a 500 on a list leaves findings unresolved and reports the failure as a value', async () => {
    h.fake.put(liveDeployment({ name: 'web', replicas: 3, liveReplicas: 6, scaledBy: SCALED }));
    h.fake.put(liveConfigMap({ name: 'flags', data: { a: '1' } }));
    await scanCluster(h.cluster({ kinds: ['Deployment', 'ConfigMap'] }), h.deps());
    expect(listActiveFindings(h.db)).toHaveLength(1);
    // The drift is reverted, but the API server fails the list: nothing may be concluded.
    h.fake.put(liveDeployment({ name: 'web', replicas: 3 }));
    h.fake.inject('deployments', { type: 'status', code: 500, on: 'list' });
    const outcome = await scanCluster(h.cluster({ kinds: ['Deployment', 'ConfigMap'] }), h.deps());
    expect(outcome.ok).toBe(false);
    expect(outcome.kinds).toEqual([
      expect.objectContaining({ kind: 'Deployment', ok: false, error: expect.objectContaining({ code: 'k8s_request_failed' }) }),
      expect.objectContaining({ kind: 'ConfigMap', ok: true, objects: 1 }),
    ]);
    expect(listActiveFindings(h.db).map((f) => f.ref.name)).toEqual(['web']);
    const failed = h.db.prepare("SELECT error_code, error_message FROM drift_scan_runs WHERE outcome = 'failed'").all() as { error_message: string }[];
    expect(failed).toHaveLength(1);
    expect(failed[0]?.error_message).toContain('500');
  });

  it('a list that fails on a later page resolves nothing, not even objects missing from the pages that arrived', async () => {
    h.fake.put(liveDeployment({ name: 'a-web', replicas: 3, liveReplicas: 6, scaledBy: SCALED }));
    h.fake.put(liveDeployment({ name: 'z-web', replicas: 3, liveReplicas: 6, scaledBy: SCALED }));
    await scanCluster(h.cluster({ kinds: ['Deployment'] }), h.deps());
    h.fake.put(liveDeployment({ name: 'b-web' }));
    h.fake.put(liveDeployment({ name: 'c-web' }));
    h.fake.inject('deployments', { type: 'status', code: 500, on: 'continue' });
    const outcome = await scanCluster(h.cluster({ kinds: ['Deployment'] }), h.deps());
    expect(outcome.ok).toBe(false);
    // z-web was on the page that never arrived: still drift as far as anyone knows.
    expect(listActiveFindings(h.db).map((f) => f.ref.name)).toEqual(['a-web', 'z-web']);
  });

  it('a transaction that rolls back reports nothing it wrote: findings-changed tells only what was committed', async () => {
    h.fake.put(liveDeployment({ name: 'a-web', replicas: 3, liveReplicas: 6, scaledBy: SCALED }));
    h.fake.put(liveDeployment({ name: 'b-web', replicas: 3, liveReplicas: 6, scaledBy: SCALED }));
    // The store refuses b-web's finding after a-web's was written in the same transaction.
    h.db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON drift_findings WHEN NEW.name = 'b-web'
      BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END`);
    const outcome = await scanCluster(h.cluster({ kinds: ['Deployment'] }), h.deps());
    expect(outcome.kinds).toEqual([expect.objectContaining({ kind: 'Deployment', ok: false, error: expect.objectContaining({ message: expect.stringContaining('disk I/O error') }) })]);
    expect(listActiveFindings(h.db)).toEqual([]);
    expect(h.events.filter((e) => e.type === 'findings-changed')).toEqual([]);

    // The same for the transaction that closes a list: declared objects found missing.
    h.db.exec('DROP TRIGGER refuse');
    h.events.length = 0;
    const dir = manifests([desiredConfigMap({ name: 'a-gone', data: { a: '1' } }), desiredConfigMap({ name: 'b-gone', data: { a: '1' } })]);
    h.db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON drift_findings WHEN NEW.name = 'b-gone'
      BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END`);
    await scanCluster(h.cluster({ desired: { type: 'directory', path: dir }, kinds: ['ConfigMap'], namespaces: ['shop'] }), h.deps());
    expect(listActiveFindings(h.db)).toEqual([]);
    expect(h.events.filter((e) => e.type === 'findings-changed')).toEqual([]);
  });

  it('tells committed findings once, even when reporting the list fails afterwards', async () => {
    h.fake.put(liveDeployment({ name: 'web', replicas: 3, liveReplicas: 6, scaledBy: SCALED }));
    const events: string[] = [];
    await scanCluster(
      h.cluster({ kinds: ['Deployment'] }),
      h.deps({
        emit: (event) => {
          events.push(event.type);
          if (event.type === 'kind-listed') throw new Error('event sink failed');
        },
      }),
    );
    expect(events.filter((type) => type === 'findings-changed')).toHaveLength(1);
    expect(listActiveFindings(h.db)).toHaveLength(1);
  });

  it('one broken cluster (closed port) never hides another cluster’s drift', async () => {
    h.fake.put(liveDeployment({ name: 'web', replicas: 3, liveReplicas: 6, scaledBy: SCALED }));
    const outcomes = await scanClusters(
      [h.cluster({ name: 'broken', context: 'dead', kinds: ['Deployment'] }), h.cluster({ name: 'prod', kinds: ['Deployment'] })],
      h.deps(),
    );
    expect(outcomes.map((o) => [o.cluster, o.ok])).toEqual([
      ['broken', false],
      ['prod', true],
    ]);
    expect(outcomes[0]?.error).toMatchObject({ code: 'cluster_unreachable', message: expect.stringContaining('ECONNREFUSED') });
    expect(listActiveFindings(h.db).map((f) => [f.cluster, f.path])).toEqual([['prod', '/spec/replicas']]);
    expect(h.events).toContainEqual(expect.objectContaining({ type: 'cluster-failed', cluster: 'broken' }));
  });

  it('applies ignore rules (whole objects, pointers) and trusted managers from config', async () => {
    h.fake.put(liveDeployment({ name: 'web', replicas: 3, liveReplicas: 6, scaledBy: SCALED }));
    h.fake.put(liveDeployment({ name: 'canary-web', replicas: 3, liveReplicas: 6, scaledBy: SCALED }));
    h.fake.put(liveDeployment({ name: 'worker', image: 'w:1', liveImage: 'w:2', replicas: 2, liveReplicas: 4, scaledBy: SCALED }));
    const drift = DriftConfig.parse({
      ignore: [
        { kind: 'deploy*', name: 'canary-*' },
        { group: 'apps', name: 'worker', pointers: ['/spec/replicas'] },
      ],
    });
    await scanCluster(h.cluster({ kinds: ['Deployment'] }), h.deps({ drift }));
    expect(listActiveFindings(h.db).map((f) => [f.ref.name, f.path])).toEqual([
      ['web', '/spec/replicas'],
      ['worker', '/spec/template/spec/containers/name=api/image'],
    ]);
    const trusting = DriftConfig.parse({ trustedManagers: ['kube-controller-manager', 'kubectl'] });
    await scanCluster(h.cluster({ kinds: ['Deployment'] }), h.deps({ drift: trusting }));
    expect(listActiveFindings(h.db)).toEqual([]);
    // Ignoring an object with findings ends them without claiming a revert or a fix.
    await scanCluster(h.cluster({ kinds: ['Deployment'] }), h.deps());
    expect(listActiveFindings(h.db)).toHaveLength(4);
    const ignoreAll = DriftConfig.parse({ ignore: [{ kind: 'Deployment' }] });
    await scanCluster(h.cluster({ kinds: ['Deployment'] }), h.deps({ drift: ignoreAll }));
    expect(listActiveFindings(h.db)).toEqual([]);
    expect(listResolvedFindings(h.db, new Date(0)).filter((f) => f.resolution === 'cleared')).toHaveLength(4);
  });

  it('stores Secret drift only as a keyed fingerprint: the value is nowhere in the database file', async () => {
    const secret = {
      name: 'payments-db',
      data: { password: 'desired-Pa55word' },
      liveData: { password: 'incident-Hotfix-99' },
      editedBy: { manager: 'kubectl-edit', time: SCALED.time },
    };
    const live = liveSecret(secret);
    (live['metadata'] as Record<string, unknown>)['annotations'] = {
      'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(desiredSecret(secret)),
    };
    h.fake.put(live);
    await scanCluster(h.cluster({ kinds: ['Secret'] }), h.deps());
    const findings = listActiveFindings(h.db);
    expect(findings.map((f) => [f.path, f.sensitive])).toEqual([['/data/password', true]]);
    expect(String(findings[0]?.live)).toMatch(/^hmac-sha256:/);
    h.db.pragma('wal_checkpoint(TRUNCATE)');
    const bytes = readFileSync(h.dbPath);
    for (const value of ['desired-Pa55word', 'incident-Hotfix-99']) {
      expect(bytes.includes(Buffer.from(value))).toBe(false);
      expect(bytes.includes(Buffer.from(Buffer.from(value).toString('base64')))).toBe(false);
    }
    expect(JSON.stringify(h.events)).not.toContain('incident-Hotfix-99');
  });
});

describe('scan, kinds', () => {
  it('skips default kinds an older cluster does not serve, but fails a configured kind it does not serve', async () => {
    const old = await startFakeKube({ resources: DEFAULT_FAKE_RESOURCES.filter((r) => r.group !== 'policy') });
    try {
      const kubeconfig = writeKubeconfig([{ name: 'old', server: old.url, token: old.token }], { dir: h.dir });
      const defaults = await scanCluster(h.cluster({ name: 'old', context: 'old', kubeconfig }), h.deps());
      expect(defaults.ok).toBe(true);
      expect(defaults.kinds.map((k) => k.kind)).not.toContain('PodDisruptionBudget');
      const configured = await scanCluster(h.cluster({ name: 'old', context: 'old', kubeconfig, kinds: ['PodDisruptionBudget', 'Deployment'] }), h.deps());
      expect(configured.ok).toBe(false);
      expect(configured.kinds.map((k) => [k.kind, k.ok])).toEqual([
        ['PodDisruptionBudget', false],
        ['Deployment', true],
      ]);
    } finally {
      await old.close();
    }
  });
});

describe('scan, coverage', () => {
  const EDITED = { manager: 'kubectl-edit', time: SCALED.time };

  it('clears findings of kinds and namespaces removed from config, but never those of a kind whose list failed', async () => {
    h.fake.put(liveDeployment({ name: 'web', replicas: 3, liveReplicas: 6, scaledBy: SCALED }));
    h.fake.put(liveDeployment({ name: 'web', namespace: 'staging', replicas: 3, liveReplicas: 6, scaledBy: SCALED }));
    h.fake.put(liveConfigMap({ name: 'flags', data: { a: '1' }, liveData: { a: '2' }, editedBy: EDITED }));
    await scanCluster(h.cluster({ kinds: ['Deployment', 'ConfigMap'] }), h.deps());
    expect(listActiveFindings(h.db)).toHaveLength(3);

    // ConfigMap and the staging namespace leave the config, while the Deployment list fails.
    const narrowed = h.cluster({ kinds: ['Deployment'], namespaces: ['shop'] });
    h.fake.inject('deployments', { type: 'status', code: 500, on: 'list' });
    const failed = await scanCluster(narrowed, h.deps());
    expect(failed.ok).toBe(false);
    expect(failed.coverage).toMatchObject({ kinds: [{ group: 'apps', kind: 'Deployment' }], namespaces: ['shop'] });
    // The ConfigMap finding is out of scope; Deployments, staging or not, are kept: their list failed.
    expect(listActiveFindings(h.db).map((f) => [f.ref.kind, f.ref.namespace])).toEqual([
      ['Deployment', 'shop'],
      ['Deployment', 'staging'],
    ]);

    const outcome = await scanCluster(narrowed, h.deps());
    expect(outcome.ok).toBe(true);
    expect(listActiveFindings(h.db).map((f) => [f.ref.kind, f.ref.namespace])).toEqual([['Deployment', 'shop']]);
    expect(listResolvedFindings(h.db, new Date(0)).map((f) => [f.ref.kind, f.ref.namespace, f.resolution]).sort()).toEqual([
      ['ConfigMap', 'shop', 'cleared'],
      ['Deployment', 'staging', 'cleared'],
    ]);
    expect(h.events).toContainEqual(expect.objectContaining({ type: 'findings-changed', resolved: [expect.objectContaining({ path: '/data/a' })] }));
  });

  it('clears findings of a custom resource whose CRD is no longer served, and keeps those of a group whose discovery failed', async () => {
    const widgets = { group: 'example.com', version: 'v1', kind: 'Widget', plural: 'widgets', namespaced: true };
    const before = await startFakeKube({ resources: [...DEFAULT_FAKE_RESOURCES, widgets] });
    const after = await startFakeKube();
    try {
      const widget = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'shop' }, spec: { size: 1 } };
      const live = { ...widget, spec: { size: 2 } };
      (live as { metadata: Record<string, unknown> }).metadata = { ...widget.metadata, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(widget) } };
      before.put(live);
      for (const fake of [before, after]) fake.put(liveDeployment({ name: 'web', replicas: 3, liveReplicas: 6, scaledBy: SCALED }));
      const kubeconfig = writeKubeconfig([{ name: 'before', server: before.url, token: before.token }, { name: 'after', server: after.url, token: after.token }], { dir: h.dir });
      await scanCluster(h.cluster({ context: 'before', kubeconfig, kinds: ['Deployment', 'example.com/v1/Widget'] }), h.deps());
      expect(listActiveFindings(h.db).map((f) => f.ref.kind)).toEqual(['Deployment', 'Widget']);

      // The apps group failing discovery is no news about Deployments; the Widget CRD is gone. (A bare
      // `Widget` could be in any group, the failing one too: its findings would be kept.)
      after.inject('apis/apps/v1', { type: 'status', code: 503 });
      const outcome = await scanCluster(h.cluster({ context: 'after', kubeconfig, kinds: ['Deployment', 'example.com/v1/Widget'] }), h.deps());
      expect(outcome.kinds.map((k) => [k.kind, k.ok])).toEqual([
        ['Deployment', false],
        ['Widget', false],
      ]);
      expect(listActiveFindings(h.db).map((f) => f.ref.kind)).toEqual(['Deployment']);
      expect(listResolvedFindings(h.db, new Date(0)).map((f) => [f.ref.kind, f.resolution])).toEqual([['Widget', 'cleared']]);
    } finally {
      await before.close();
      await after.close();
    }
  });

  it('does not clear anything when the cluster cannot be scanned at all', async () => {
    h.fake.put(liveDeployment({ name: 'web', replicas: 3, liveReplicas: 6, scaledBy: SCALED }));
    await scanCluster(h.cluster({ kinds: ['Deployment'] }), h.deps());
    const outcome = await scanCluster(h.cluster({ context: 'dead', kinds: ['ConfigMap'] }), h.deps());
    expect(outcome.ok).toBe(false);
    expect(outcome.coverage).toBeUndefined();
    expect(listActiveFindings(h.db)).toHaveLength(1);
  });

  it('reads a relative kubeconfig from the config file directory, not the working directory', async () => {
    h.fake.put(liveDeployment({ name: 'web' }));
    expect(basename(h.kubeconfig)).toBe('kubeconfig.yaml');
    expect(existsSync(join(process.cwd(), 'kubeconfig.yaml'))).toBe(false);
    const outcome = await scanCluster(h.cluster({ kubeconfig: 'kubeconfig.yaml', kinds: ['Deployment'] }), h.deps({ baseDir: h.dir }));
    expect(outcome).toMatchObject({ ok: true, kinds: [{ kind: 'Deployment', ok: true, objects: 1 }] });
  });
});

describe('scan, directory desired state', () => {
  it('diffs against manifests with namespace defaulting, reports broken files and declared objects that are missing', async () => {
    const dir = manifests([
      { ...desiredDeployment({ name: 'web', replicas: 3 }), metadata: { name: 'web', labels: { app: 'web' } } },
      desiredConfigMap({ name: 'flags', data: { checkout_v2: 'false' } }),
      desiredConfigMap({ name: 'deleted-by-hand', data: { a: '1' } }),
    ]);
    writeFileSync(join(dir, 'broken.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a: b\n');
    h.fake.put(liveDeployment({ name: 'web', replicas: 3, liveReplicas: 6, scaledBy: SCALED }));
    h.fake.put(liveConfigMap({ name: 'flags', data: { checkout_v2: 'false' }, liveData: { checkout_v2: 'true' }, editedBy: { manager: 'kubectl-edit', time: SCALED.time } }));
    h.fake.put(liveConfigMap({ name: 'not-in-git', data: { x: 'y' } }));
    const cluster = h.cluster({ desired: { type: 'directory', path: 'manifests', defaultNamespace: 'shop' }, kinds: ['Deployment', 'ConfigMap'] });
    const outcome = await scanCluster(cluster, h.deps());
    expect(outcome.ok).toBe(true);
    expect(outcome.problems).toEqual([expect.objectContaining({ file: join(dir, 'broken.yaml'), line: 4 })]);
    expect(h.events).toContainEqual(expect.objectContaining({ type: 'source-problem' }));
    const findings = listActiveFindings(h.db).map((f) => [f.ref.kind, f.ref.name, f.path, f.difference, f.live ?? null]);
    expect(findings).toEqual([
      ['ConfigMap', 'deleted-by-hand', '', 'missing', null],
      ['ConfigMap', 'flags', '/data/checkout_v2', 'changed', 'true'],
      ['Deployment', 'web', '/spec/replicas', 'changed', 6],
    ]);
  });

  it('resolves a missing-object finding as reverted when the object is recreated', async () => {
    manifests([desiredConfigMap({ name: 'cm', data: { a: '1' } })]);
    const cluster = h.cluster({ desired: { type: 'directory', path: 'manifests' }, kinds: ['ConfigMap'], namespaces: ['shop'] });
    await scanCluster(cluster, h.deps());
    expect(listActiveFindings(h.db).map((f) => f.path)).toEqual(['']);
    expect(h.fake.requestsFor('configmaps', 'list')[0]?.path).toBe('/api/v1/namespaces/shop/configmaps');
    h.fake.put(liveConfigMap({ name: 'cm', data: { a: '1' } }));
    await scanCluster(cluster, h.deps());
    expect(listActiveFindings(h.db)).toEqual([]);
    expect(listResolvedFindings(h.db, new Date(0)).map((f) => f.resolution)).toEqual(['reverted']);
  });

  it('fails the cluster, not the process, when the manifest directory is missing', async () => {
    const outcome = await scanCluster(h.cluster({ desired: { type: 'directory', path: 'nowhere' } }), h.deps());
    expect(outcome).toMatchObject({ ok: false, error: { code: 'desired_source_failed' } });
  });
});

describe('scan, field managers only', () => {
  it('reports every field a manual manager owns, and nothing GitOps applied', async () => {
    const gitops = liveDeployment({ name: 'web', replicas: 3, liveReplicas: 6, scaledBy: SCALED, lastApplied: false });
    const entries = (gitops['metadata'] as { managedFields: { manager: string; operation: string }[] }).managedFields;
    for (const e of entries) {
      if (e.manager === 'kubectl-client-side-apply') {
        e.manager = 'argocd-controller';
        e.operation = 'Apply';
      }
    }
    h.fake.put(gitops);
    h.fake.put(liveSecret({ name: 's', data: { k: 'v1' }, liveData: { k: 'v2' }, editedBy: { manager: 'kubectl-edit', time: SCALED.time } }));
    await scanCluster(h.cluster({ desired: { type: 'managers' }, kinds: ['Deployment', 'Secret'] }), h.deps());
    const findings = listActiveFindings(h.db);
    expect(findings.map((f) => [f.ref.name, f.path, f.difference, f.attribution?.manager, f.sensitive])).toEqual([
      ['s', '/data/k', 'extra', 'kubectl-edit', true],
      ['web', '/spec/replicas', 'extra', 'kubectl', false],
    ]);
    expect(findings[0]?.live).toMatch(/^hmac-sha256:/);
    expect(findings.every((f) => f.source === 'managers')).toBe(true);
  });
});

describe('scan, sharing the event loop', () => {
  it('diffs a large page in small transactions, letting other work run every few objects', async () => {
    const count = OBJECTS_PER_TURN * 3 + 3; // one page of them
    for (let i = 0; i < count; i++) {
      h.fake.put(liveDeployment({ name: `app-${String(i).padStart(4, '0')}`, replicas: 3, liveReplicas: 4, scaledBy: SCALED }));
    }
    // Another connection, as another process would read the database.
    const reader = openDb(h.dbPath);
    const findingsSeen = reader.prepare('SELECT count(*) AS n FROM drift_findings');
    // Work waiting for the event loop (a Slack request, say): how many objects are diffed before it runs?
    const meter = turnMeter();
    const visible: number[] = [];
    const diff: DiffFn = (desired, live, options) => {
      meter.step();
      visible.push((findingsSeen.get() as { n: number }).n);
      return diffObjects(desired, live, options);
    };
    try {
      const outcome = await scanCluster(h.cluster({ kinds: ['Deployment'] }), h.deps({ diff, settings: { ...FAST, pageSize: 1000 } }));
      expect(outcome.kinds).toEqual([expect.objectContaining({ ok: true, objects: count, findings: count })]);
    } finally {
      reader.close();
    }
    expect(h.fake.requestsFor('deployments', 'list')).toHaveLength(1); // one page
    expect(meter.longest).toBeLessThanOrEqual(OBJECTS_PER_TURN);
    // Committed as it went: before the page's last object, the others' findings were visible outside.
    expect(visible).toHaveLength(count);
    expect(visible.at(-1)).toBeGreaterThanOrEqual(count - OBJECTS_PER_TURN);
  });
  it('records many declared objects missing from the cluster in small transactions too', async () => {
    const count = OBJECTS_PER_TURN * 3 + 3;
    const dir = manifests(Array.from({ length: count }, (_, i) => desiredConfigMap({ name: `gone-${String(i).padStart(3, '0')}`, data: { a: '1' } })));
    // Each finding recorded asks for the time: how many are recorded before other work gets a turn?
    const meter = turnMeter();
    const now = (): Date => {
      meter.step();
      return new Date();
    };
    const outcome = await scanCluster(h.cluster({ desired: { type: 'directory', path: dir }, kinds: ['ConfigMap'], namespaces: ['shop'] }), h.deps({ now }));
    expect(outcome.kinds).toEqual([expect.objectContaining({ ok: true, objects: 0, findings: count })]);
    expect(listActiveFindings(h.db)).toHaveLength(count);
    // A few calls besides the findings' own (the run's start and end).
    expect(meter.longest).toBeLessThanOrEqual(OBJECTS_PER_TURN + 3);
  });
});

describe('scan, busy database', () => {
  it('waits out another writer without blocking: its writes are tried again on timers until the lock is released', async () => {
    h.fake.put(liveDeployment({ name: 'web', replicas: 3, liveReplicas: 6, scaledBy: SCALED }));
    h.db.pragma('busy_timeout = 0'); // as with a short busy timeout: SQLITE_BUSY at once
    const other = openDb(h.dbPath);
    other.exec('BEGIN IMMEDIATE'); // another process is writing
    const scheduler = new FakeScheduler();
    let settled = false;
    const scan = scanCluster(h.cluster({ kinds: ['Deployment'] }), h.deps({ scheduler, random: () => 1 })).finally(() => {
      settled = true;
    });
    try {
      await waitFor(() => scheduler.pending().length > 0, 'a write tried again later');
      const first = scheduler.pending()[0] as number;
      scheduler.advance(first);
      await waitFor(() => scheduler.pending().length > 0, 'a second try, later still');
      expect((scheduler.pending()[0] as number) - first).toBeGreaterThan(first);
      expect(settled).toBe(false);
      expect(listActiveFindings(h.db)).toEqual([]);
    } finally {
      other.exec('COMMIT');
      other.close();
    }
    // The next try finds the lock released; nothing after it has to wait.
    scheduler.advance((scheduler.pending()[0] as number) - scheduler.now());
    const outcome = await scan;
    expect(outcome).toMatchObject({ ok: true, kinds: [{ kind: 'Deployment', ok: true, objects: 1, findings: 1 }] });
    expect(listActiveFindings(h.db).map((f) => f.path)).toEqual(['/spec/replicas']);
    expect(h.events.filter((e) => e.type === 'kind-failed')).toEqual([]);
  });
});
