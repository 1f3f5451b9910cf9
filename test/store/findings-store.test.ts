import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { diffObjects } from '../../src/drift/diff.js';
import { isCovered, objectKey, WHOLE_OBJECT_PATH } from '../../src/drift/findings.js';
import type { ObjectObservation } from '../../src/drift/findings.js';
import { makeFingerprint } from '../../src/drift/fingerprint.js';
import type { Difference, KubeObject, ObjectRef } from '../../src/drift/types.js';
import { openMigratedDb } from '../../src/store/db.js';
import type { Db } from '../../src/store/db.js';
import {
  countActiveFindings,
  ensureFingerprintKey,
  getFinding,
  listActiveFindings,
  listResolvedFindings,
  recordObjectDeleted,
  recordObservation,
  recordScanRun,
  resolveUncovered,
  resolveUnlistedObjects,
} from '../../src/store/findings-store.js';
import { desiredConfigMap, desiredDeployment, desiredSecret, liveConfigMap, liveDeployment, liveSecret } from '../../src/demo/kube-objects.js';

let dir: string;
let dbPath: string;
let db: Db;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stopgap-findings-'));
  dbPath = join(dir, 'stopgap.db');
  db = openMigratedDb(dbPath);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const T0 = new Date('2025-03-02T10:00:00Z');
const T1 = new Date('2025-03-02T10:05:00Z');
const T2 = new Date('2025-03-02T10:10:00Z');
const SCALED = { manager: 'kubectl', time: '2025-03-02T09:58:00Z' };
const WEB: ObjectRef = { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'shop', name: 'web', uid: 'uid-web' };

function observe(desired: KubeObject, live: KubeObject, ref: ObjectRef = WEB, fingerprint?: (v: string) => string): ObjectObservation {
  const result = diffObjects(desired, live, fingerprint ? { fingerprint } : {});
  return { cluster: 'prod', ref, source: 'directory', differences: result.differences, desired, live, ...(fingerprint ? { fingerprint } : {}) };
}

describe('findings store', () => {
  it('records a kubectl scale as a finding with manager and time, and refreshes it while it lasts', () => {
    const drifted = { name: 'web', replicas: 3, liveReplicas: 5, scaledBy: SCALED };
    const first = recordObservation(db, observe(desiredDeployment(drifted), liveDeployment(drifted)), T0);
    expect(first.created).toHaveLength(1);
    const finding = first.created[0];
    expect(finding).toMatchObject({
      cluster: 'prod',
      ref: WEB,
      path: '/spec/replicas',
      difference: 'changed',
      desired: 3,
      live: 5,
      sensitive: false,
      source: 'directory',
      attribution: { manager: 'kubectl', operation: 'Update', subresource: 'scale', time: SCALED.time, managerClass: 'manual' },
      firstSeen: T0.toISOString(),
      lastSeen: T0.toISOString(),
    });
    expect(finding?.resolvedAt).toBeUndefined();

    const again = recordObservation(db, observe(desiredDeployment(drifted), liveDeployment(drifted)), T1);
    expect(again.created).toEqual([]);
    expect(again.updated).toHaveLength(1);
    expect(again.updated[0]).toMatchObject({ id: finding?.id, firstSeen: T0.toISOString(), lastSeen: T1.toISOString() });
    expect(listActiveFindings(db)).toHaveLength(1);
  });

  it('resolves a finding as reverted when the live value moves back', () => {
    const drifted = { name: 'web', replicas: 3, liveReplicas: 5, scaledBy: SCALED };
    const { created } = recordObservation(db, observe(desiredDeployment(drifted), liveDeployment(drifted)), T0);
    const back = { name: 'web', replicas: 3 };
    const result = recordObservation(db, observe(desiredDeployment(back), liveDeployment(back)), T1);
    expect(result.resolved).toHaveLength(1);
    expect(result.resolved[0]).toMatchObject({ id: created[0]?.id, resolution: 'reverted', resolvedAt: T1.toISOString() });
    expect(listActiveFindings(db)).toEqual([]);
    expect(getFinding(db, created[0]?.id ?? 0)?.resolution).toBe('reverted');
  });

  it('resolves a finding as codified when desired state moves to the live value', () => {
    const drifted = { name: 'web', replicas: 3, liveReplicas: 5, scaledBy: SCALED };
    recordObservation(db, observe(desiredDeployment(drifted), liveDeployment(drifted)), T0);
    const codified = { name: 'web', replicas: 5, liveReplicas: 5, scaledBy: SCALED };
    const result = recordObservation(db, observe(desiredDeployment(codified), liveDeployment(codified)), T1);
    expect(result.resolved.map((f) => f.resolution)).toEqual(['codified']);
    expect(listResolvedFindings(db, T0).map((f) => f.path)).toEqual(['/spec/replicas']);
  });

  it('resolves as cleared when both sides moved', () => {
    const drifted = { name: 'web', replicas: 3, liveReplicas: 5, scaledBy: SCALED };
    recordObservation(db, observe(desiredDeployment(drifted), liveDeployment(drifted)), T0);
    const both = { name: 'web', replicas: 4, liveReplicas: 4, scaledBy: SCALED };
    const result = recordObservation(db, observe(desiredDeployment(both), liveDeployment(both)), T1);
    expect(result.resolved.map((f) => f.resolution)).toEqual(['cleared']);
  });

  it('keeps one active finding per field; a field drifting again later is a new finding', () => {
    const drifted = { name: 'web', replicas: 3, liveReplicas: 5, scaledBy: SCALED };
    const back = { name: 'web', replicas: 3 };
    const a = recordObservation(db, observe(desiredDeployment(drifted), liveDeployment(drifted)), T0).created[0];
    recordObservation(db, observe(desiredDeployment(back), liveDeployment(back)), T1);
    const b = recordObservation(db, observe(desiredDeployment(drifted), liveDeployment(drifted)), T2).created[0];
    expect(b?.id).not.toBe(a?.id);
    expect(listActiveFindings(db).map((f) => f.id)).toEqual([b?.id]);
    const n = db.prepare('SELECT count(*) AS n FROM drift_findings').get() as { n: number };
    expect(n.n).toBe(2);
  });

  it('tells a reverted ConfigMap edit from a codified one', () => {
    const base = { name: 'flags', data: { checkout_v2: 'false', retries: '3' } };
    const edited = { ...base, liveData: { checkout_v2: 'true', retries: '3' }, editedBy: { manager: 'kubectl-edit', time: SCALED.time } };
    const ref: ObjectRef = { group: '', version: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'flags' };
    const first = recordObservation(db, observe(desiredConfigMap(edited), liveConfigMap(edited), ref), T0);
    expect(first.created.map((f) => [f.path, f.desired, f.live, f.attribution?.manager])).toEqual([
      ['/data/checkout_v2', 'false', 'true', 'kubectl-edit'],
    ]);
    const codified = { ...edited, data: { checkout_v2: 'true', retries: '3' } };
    const result = recordObservation(db, observe(desiredConfigMap(codified), liveConfigMap(codified), ref), T1);
    expect(result.resolved.map((f) => f.resolution)).toEqual(['codified']);
  });

  it('stores Secret drift only as fingerprints, and still tells reverted from codified', () => {
    const fingerprint = makeFingerprint(ensureFingerprintKey(db));
    const ref: ObjectRef = { group: '', version: 'v1', kind: 'Secret', namespace: 'shop', name: 'payments-db' };
    const leaked = { name: 'payments-db', data: { password: 'correct-horse-battery' }, liveData: { password: 'incident-override-42' }, editedBy: { manager: 'kubectl-edit', time: SCALED.time } };
    const { created } = recordObservation(db, observe(desiredSecret(leaked), liveSecret(leaked), ref, fingerprint), T0);
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ path: '/data/password', sensitive: true });
    expect(String(created[0]?.live)).toMatch(/^hmac-sha256:[0-9a-f]+$/);
    expect(String(created[0]?.desired)).toMatch(/^hmac-sha256:[0-9a-f]+$/);

    const codified = { ...leaked, data: { password: 'incident-override-42' } };
    const result = recordObservation(db, observe(desiredSecret(codified), liveSecret(codified), ref, fingerprint), T1);
    expect(result.resolved.map((f) => f.resolution)).toEqual(['codified']);

    db.pragma('wal_checkpoint(TRUNCATE)');
    const bytes = Buffer.concat([readFileSync(dbPath), ...['-wal', '-shm'].map((s) => {
      try {
        return readFileSync(dbPath + s);
      } catch {
        return Buffer.alloc(0);
      }
    })]);
    for (const secret of ['correct-horse-battery', 'incident-override-42']) {
      expect(bytes.includes(Buffer.from(secret))).toBe(false);
      expect(bytes.includes(Buffer.from(Buffer.from(secret).toString('base64')))).toBe(false);
    }
  });

  it('resolves the field findings of a deleted object as deleted', () => {
    const drifted = { name: 'web', replicas: 3, liveReplicas: 5, scaledBy: SCALED };
    recordObservation(db, observe(desiredDeployment(drifted), liveDeployment(drifted)), T0);
    const resolved = recordObjectDeleted(db, 'prod', WEB, T1);
    expect(resolved.map((f) => f.resolution)).toEqual(['deleted']);
    expect(countActiveFindings(db)).toBe(0);
  });

  it('after a complete list, resolves findings of objects that were not listed, within the listed scope only', () => {
    const drifted = (name: string, namespace: string): ObjectObservation => {
      const o = { name, namespace, replicas: 3, liveReplicas: 5, scaledBy: SCALED };
      return observe(desiredDeployment(o), liveDeployment(o), { ...WEB, name, namespace });
    };
    recordObservation(db, drifted('kept', 'shop'), T0);
    recordObservation(db, drifted('gone', 'shop'), T0);
    recordObservation(db, drifted('other-namespace', 'staging'), T0);
    const listed = new Set([objectKey({ group: 'apps', kind: 'Deployment', namespace: 'shop', name: 'kept' })]);
    const resolved = resolveUnlistedObjects(db, { cluster: 'prod', group: 'apps', kind: 'Deployment', namespaces: ['shop'] }, listed, T1);
    expect(resolved.map((f) => [f.ref.name, f.resolution])).toEqual([['gone', 'deleted']]);
    expect(listActiveFindings(db).map((f) => f.ref.name)).toEqual(['kept', 'other-namespace']);
    // Another cluster's findings are never touched.
    expect(resolveUnlistedObjects(db, { cluster: 'staging', group: 'apps', kind: 'Deployment' }, new Set(), T1)).toEqual([]);
  });

  it('keeps a "declared object is missing" finding while it is declared or desired state is incomplete', () => {
    const ref: ObjectRef = { group: 'policy', version: 'v1', kind: 'PodDisruptionBudget', namespace: 'shop', name: 'web' };
    const missing: Difference = { path: WHOLE_OBJECT_PATH, kind: 'missing', desired: { kind: 'PodDisruptionBudget' }, live: undefined, sensitive: false };
    recordObservation(db, { cluster: 'prod', ref, source: 'directory', differences: [missing] }, T0);
    const scope = { cluster: 'prod', group: 'policy', kind: 'PodDisruptionBudget' };
    const key = objectKey(ref);
    expect(resolveUnlistedObjects(db, scope, new Set(), T1, { declaredAbsent: new Set([key]) })).toEqual([]);
    expect(resolveUnlistedObjects(db, scope, new Set(), T1, { desiredComplete: false })).toEqual([]);
    expect(resolveUnlistedObjects(db, scope, new Set(), T1, { desiredComplete: true }).map((f) => f.resolution)).toEqual(['codified']);
  });

  it('resolves a "declared object is missing" finding as reverted when the object is back', () => {
    const ref: ObjectRef = { group: 'policy', version: 'v1', kind: 'PodDisruptionBudget', namespace: 'shop', name: 'web' };
    const missing: Difference = { path: WHOLE_OBJECT_PATH, kind: 'missing', desired: {}, live: undefined, sensitive: false };
    recordObservation(db, { cluster: 'prod', ref, source: 'directory', differences: [missing] }, T0);
    const back = recordObservation(db, { cluster: 'prod', ref, source: 'directory', differences: [], live: { kind: 'PodDisruptionBudget' } }, T1);
    expect(back.resolved.map((f) => f.resolution)).toEqual(['reverted']);
  });

  it('after a pass, clears findings of kinds and namespaces it no longer covers, but never those of a kept kind', () => {
    const drifted = (ref: ObjectRef, cluster = 'prod'): void => {
      const changed: Difference = { path: '/spec/replicas', kind: 'changed', desired: 3, live: 5, sensitive: false };
      recordObservation(db, { cluster, ref, source: 'last-applied', differences: [changed] }, T0);
    };
    const deploy = (name: string, namespace: string): ObjectRef => ({ group: 'apps', version: 'v1', kind: 'Deployment', namespace, name });
    drifted(deploy('web', 'shop'));
    drifted(deploy('web', 'staging'));
    drifted({ group: '', version: 'v1', kind: 'Node', name: 'node-1' });
    drifted({ group: 'example.com', version: 'v1', kind: 'Widget', namespace: 'shop', name: 'w' });
    drifted({ group: 'batch', version: 'v1', kind: 'CronJob', namespace: 'staging', name: 'nightly' });
    drifted(deploy('web', 'staging'), 'other-cluster');
    const coverage = {
      cluster: 'prod',
      kinds: [
        { group: 'apps', kind: 'Deployment' },
        { group: '', kind: 'Node' },
      ],
      namespaces: ['shop'],
      keep: [{ kind: 'CronJob' }],
    };
    expect(isCovered(coverage, deploy('web', 'shop'))).toBe(true);
    expect(isCovered(coverage, deploy('web', 'staging'))).toBe(false);
    expect(isCovered(coverage, { group: '', kind: 'Node' })).toBe(true);
    const cleared = resolveUncovered(db, coverage, T1);
    expect(cleared.map((f) => [f.ref.kind, f.ref.namespace, f.resolution])).toEqual([
      ['Deployment', 'staging', 'cleared'],
      ['Widget', 'shop', 'cleared'],
    ]);
    expect(listActiveFindings(db).map((f) => `${f.cluster}:${f.ref.kind}:${f.ref.namespace ?? ''}`).sort()).toEqual([
      'other-cluster:Deployment:staging',
      'prod:CronJob:staging',
      'prod:Deployment:shop',
      'prod:Node:',
    ]);
  });

  it('generates the fingerprint key once and keeps it', () => {
    const a = ensureFingerprintKey(db);
    const b = ensureFingerprintKey(db);
    expect(a.length).toBe(32);
    expect(b.equals(a)).toBe(true);
    const other = openMigratedDb(join(dir, 'other.db'));
    expect(ensureFingerprintKey(other).equals(a)).toBe(false);
    other.close();
  });

  it('records scan runs with their outcome', () => {
    const id = recordScanRun(db, {
      cluster: 'prod',
      group: 'apps',
      version: 'v1',
      kind: 'Deployment',
      mode: 'scan',
      startedAt: T0,
      finishedAt: T1,
      outcome: 'failed',
      objects: 0,
      findings: 0,
      errorCode: 'k8s_request_failed',
      errorMessage: 'GET /apis/apps/v1/deployments: 500',
    });
    const row = db.prepare('SELECT * FROM drift_scan_runs WHERE id = ?').get(id) as Record<string, unknown>;
    expect(row).toMatchObject({ cluster: 'prod', outcome: 'failed', error_code: 'k8s_request_failed' });
  });
});
