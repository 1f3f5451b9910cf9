import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { codifyChange } from '../../src/codify/for-change.js';
import { ClusterConfig } from '../../src/config/clusters.js';
import type { Finding } from '../../src/drift/findings.js';
import type { Difference, ObjectRef } from '../../src/drift/types.js';
import { isStopgapError } from '../../src/errors.js';
import { openMigratedDb, type Db } from '../../src/store/db.js';
import { recordObservation } from '../../src/store/findings-store.js';
import { LedgerStore } from '../../src/store/ledger-store.js';
import { LinksStore } from '../../src/store/links-store.js';
import { runCliCaptured } from '../support/cli.js';
import { gitApplyCheck, gitRepo, removeRepo } from './git.js';

const GITOPS = new URL('../fixtures/codify/gitops/', import.meta.url).pathname;
const NOW = new Date('2026-11-30T03:30:00Z');
const API = '/spec/template/spec/containers/name=api';

let dir: string;
let dbPath: string;
let db: Db;
let ledger: LedgerStore;
let links: LinksStore;
beforeEach(() => {
  // The config file's directory holds the manifests checkout, a git repository, as `path: gitops`.
  dir = mkdtempSync(join(tmpdir(), 'stopgap-codify-change-'));
  cpSync(GITOPS, join(dir, 'gitops'), { recursive: true });
  dbPath = join(dir, 'stopgap.db');
  db = openMigratedDb(dbPath);
  ledger = new LedgerStore(db);
  links = new LinksStore(db, ledger);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const clusters = (...configs: unknown[]): ClusterConfig[] => configs.map((c) => ClusterConfig.parse(c));
const PROD = { name: 'prod', desired: { type: 'directory', path: 'gitops' } };
const payments: ObjectRef = { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'shop', name: 'payments-api', uid: 'uid-payments' };

function drift(ref: ObjectRef, differences: Difference[], cluster = 'prod'): Finding[] {
  return recordObservation(db, { cluster, ref, source: 'directory', differences }, NOW).created;
}

function scaledAndRolledBack(cluster = 'prod'): Finding[] {
  return drift(
    payments,
    [
      { path: '/spec/replicas', kind: 'changed', desired: 3, live: 10, sensitive: false, attribution: { manager: 'kubectl-scale', operation: 'Update', managerClass: 'manual' } },
      { path: `${API}/image`, kind: 'changed', desired: 'registry.example.com/shop/payments-api:1.8.0', live: 'registry.example.com/shop/payments-api:1.7.4', sensitive: false },
    ],
    cluster,
  );
}

function logChange(text: string, cluster?: string): number {
  return ledger.create({ description: text, actor: 'U0ALICE01', resources: [{ kind: 'deployment', name: 'payments-api', namespace: 'shop' }], source: 'command', ...(cluster ? { cluster } : {}) }, { now: NOW, defaultDueDays: 7 }).change.id;
}

async function claim(findings: readonly Finding[], changeId: number): Promise<void> {
  await links.claimSoon(findings.map((f) => f.id), changeId, 'U0ALICE01', NOW);
}

describe('codifyChange', () => {
  it("writes a change's active linked drift into its cluster's manifests, a patch git applies", async () => {
    const sg = logChange('scaled payments-api to 10 and rolled back to 1.7.4', 'prod');
    await claim(scaledAndRolledBack(), sg);
    const result = await codifyChange(db, clusters(PROD), dir, sg);
    expect(result).toMatchObject({ outcome: 'patch', changeKey: `SG-${sg}`, cluster: 'prod', root: join(dir, 'gitops') });
    if (result.outcome !== 'patch') return;
    expect(result.result.written.map((w) => [w.path, w.file, w.line])).toEqual([
      ['/spec/replicas', 'apps/shop.yaml', 12],
      [`${API}/image`, 'apps/shop.yaml', 24],
    ]);
    expect(result.result.patch).toContain('+  replicas: 10  # baseline; scale by PR, not by hand\n');
    const repo = gitRepo({});
    try {
      cpSync(join(dir, 'gitops'), repo, { recursive: true });
      expect(gitApplyCheck(repo, result.result.patch)).toEqual({ ok: true, stderr: '' });
    } finally {
      removeRepo(repo);
    }
  });

  it('says there is nothing to codify when no drift is linked, or when the linked drift is gone', async () => {
    const none = logChange('restarted the pods');
    expect(await codifyChange(db, clusters(PROD), dir, none)).toEqual({
      outcome: 'nothing',
      changeKey: `SG-${none}`,
      reason: `Stopgap has seen no drift for SG-${none}: nothing to codify. If the change is already in git, record it with /fix codified SG-${none} <PR link>`,
    });
    const gone = logChange('scaled payments-api', 'prod');
    await claim(scaledAndRolledBack(), gone);
    // The next observation sees the object in sync: the findings end.
    recordObservation(db, { cluster: 'prod', ref: payments, source: 'directory', differences: [] }, new Date('2026-11-30T04:00:00Z'));
    const result = await codifyChange(db, clusters(PROD), dir, gone);
    expect(result.outcome).toBe('nothing');
    expect(result.outcome === 'nothing' && result.reason).toMatch(/^the drift linked to SG-\d+ is gone from the cluster \(codified or reverted\): nothing to codify\. If you opened a PR, record it with \/fix codified SG-\d+ <PR link>$/);
    // A change already closed says so, without asking for a PR.
    ledger.act(gone, { type: 'reverted' }, { by: 'U0ALICE01', now: NOW, isAdmin: false });
    expect(await codifyChange(db, clusters(PROD), dir, gone)).toEqual({ outcome: 'nothing', changeKey: `SG-${gone}`, reason: `SG-${gone} is reverted: nothing to codify.` });
  });

  it('codifies the cluster most of the drift is on, and lists drift on another cluster as not written', async () => {
    const sg = logChange('scaled payments-api everywhere');
    await claim(scaledAndRolledBack('prod'), sg);
    await claim(drift({ ...payments, uid: 'uid-staging' }, [{ path: '/spec/replicas', kind: 'changed', desired: 3, live: 6, sensitive: false }], 'staging'), sg);
    const result = await codifyChange(db, clusters(PROD, { name: 'staging', desired: { type: 'directory', path: 'gitops' } }), dir, sg);
    expect(result.outcome).toBe('patch');
    if (result.outcome !== 'patch') return;
    expect(result.cluster).toBe('prod');
    expect(result.result.written).toHaveLength(2);
    expect(result.result.notWritten).toEqual([
      { ref: { ...payments, uid: 'uid-staging' }, path: '/spec/replicas', reason: "drift on cluster staging: a patch covers one cluster's manifests and this one is for prod; codify the rest against staging's manifests" },
    ]);
  });

  it('cannot patch a cluster whose desired state is last-applied, and says what to set instead', async () => {
    const sg = logChange('scaled payments-api', 'prod');
    await claim(scaledAndRolledBack(), sg);
    const result = await codifyChange(db, clusters({ name: 'prod', desired: { type: 'last-applied' } }), dir, sg);
    expect(result.outcome).toBe('impossible');
    if (result.outcome !== 'impossible') return;
    expect(result.result.patch).toBe('');
    expect(result.result.notWritten.map((n) => n.reason)).toEqual([
      "desired state comes from the live object's last-applied annotation; Stopgap has no manifests to patch: set spec.replicas to 10 in whatever applies Deployment.apps/payments-api -n shop",
      "desired state comes from the live object's last-applied annotation; Stopgap has no manifests to patch: set spec.template.spec.containers[name=api].image to registry.example.com/shop/payments-api:1.7.4 in whatever applies Deployment.apps/payments-api -n shop",
    ]);
    expect(result.reason).toBe('none of the 2 drifted fields could be written (each says why)');
  });

  it('cannot patch a cluster the configuration does not name, or a manifests directory that is not there', async () => {
    const sg = logChange('scaled payments-api', 'prod');
    await claim(scaledAndRolledBack(), sg);
    const unknown = await codifyChange(db, [], dir, sg);
    expect(unknown).toMatchObject({ outcome: 'impossible', cluster: 'prod', reason: 'cluster prod is not configured in stopgap.yml (clusters:): Stopgap does not know where its manifests are' });
    const absent = await codifyChange(db, clusters({ name: 'prod', desired: { type: 'directory', path: 'no-such-checkout' } }), dir, sg);
    expect(absent.outcome).toBe('impossible');
    expect(absent.outcome === 'impossible' && absent.reason).toContain(`Cannot read the manifest directory ${join(dir, 'no-such-checkout')}`);
  });

  it('refuses a change that does not exist', async () => {
    const err = await codifyChange(db, clusters(PROD), dir, 999).catch((e: unknown) => e);
    expect(isStopgapError(err) && err.code).toBe('ledger_not_found');
  });
});

describe('stopgap codify SG-n', () => {
  function env(): NodeJS.ProcessEnv {
    const config = join(dir, 'stopgap.yml');
    writeFileSync(config, 'clusters:\n  - name: prod\n    desired:\n      type: directory\n      path: gitops\n');
    return { STOPGAP_DB: dbPath, STOPGAP_CONFIG: config };
  }

  it('prints the patch, says where it applies, and exits 1', async () => {
    const sg = logChange('scaled payments-api', 'prod');
    await claim(scaledAndRolledBack(), sg);
    const r = await runCliCaptured(['codify', `SG-${sg}`], env());
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^diff --git a\/apps\/shop.yaml b\/apps\/shop.yaml\n/);
    expect(r.stderr).toBe(`SG-${sg} on prod: 2 fields written into apps/shop.yaml; apply it with: cd ${join(dir, 'gitops')} && git apply PATCH\n`);
  });

  it('warns when the patch shows a value at one of drift.sensitivePointers, as context', async () => {
    const sg = logChange('scaled payments-api', 'prod');
    await claim(scaledAndRolledBack(), sg);
    const config = join(dir, 'stopgap.yml');
    // Not a secret, but it stands for one: the image line's context holds the api container's port.
    writeFileSync(config, "clusters:\n  - name: prod\n    desired:\n      type: directory\n      path: gitops\ndrift:\n  sensitivePointers: ['/spec/template/spec/containers/*/ports/*/containerPort']\n");
    const r = await runCliCaptured(['codify', `SG-${sg}`], { STOPGAP_DB: dbPath, STOPGAP_CONFIG: config });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('             - containerPort: 8080\n');
    expect(r.stderr).toContain('warning: the patch shows secret values that apps/shop.yaml holds in clear');
  });

  it('writes the patch to --out', async () => {
    const sg = logChange('scaled payments-api', 'prod');
    await claim(scaledAndRolledBack(), sg);
    const out = join(dir, 'sg.patch');
    const r = await runCliCaptured(['codify', `sg-${sg}`, '--out', out], env());
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toContain('+          image: "registry.example.com/shop/payments-api:1.7.4"  # PR #412\n');
    expect(r.stderr).toContain(`git apply ${out}`);
  });

  it('names the manifests directory with --directory when it is inside a git repository', async () => {
    const sg = logChange('scaled payments-api', 'prod');
    await claim(scaledAndRolledBack(), sg);
    const repo = gitRepo({});
    try {
      cpSync(GITOPS, join(repo, 'clusters', 'prod'), { recursive: true });
      const config = join(dir, 'stopgap.yml');
      writeFileSync(config, `clusters:\n  - name: prod\n    desired:\n      type: directory\n      path: ${join(repo, 'clusters', 'prod')}\n`);
      const r = await runCliCaptured(['codify', `SG-${sg}`], { STOPGAP_DB: dbPath, STOPGAP_CONFIG: config });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`apply it with: cd ${repo} && git apply --directory=clusters/prod PATCH\n`);
      const patch = join(dir, 'sg.patch');
      writeFileSync(patch, r.stdout);
      const applied = spawnSync('git', ['apply', '--directory=clusters/prod', patch], { cwd: repo, encoding: 'utf8' });
      expect(applied.stderr).toBe('');
      expect(readFileSync(join(repo, 'clusters', 'prod', 'apps', 'shop.yaml'), 'utf8')).toContain('  replicas: 10  #');
    } finally {
      removeRepo(repo);
    }
  });

  it('exits 0 with nothing to codify, 2 when no patch is possible, 2 for a change that does not exist', async () => {
    const quiet = logChange('looked around', 'prod');
    const nothing = await runCliCaptured(['codify', `SG-${quiet}`], env());
    expect(nothing).toMatchObject({ code: 0, stdout: '' });
    expect(nothing.stderr).toContain('nothing to codify');
    const taint = logChange('tainted the node', 'prod');
    await claim(drift({ group: '', version: 'v1', kind: 'Node', name: 'ip-10-0-1-7' }, [{ path: '/spec/taints/key=dedicated,effect=NoSchedule', kind: 'extra', desired: undefined, live: { key: 'dedicated', effect: 'NoSchedule' }, sensitive: false }]), taint);
    const impossible = await runCliCaptured(['codify', `SG-${taint}`], env());
    expect(impossible.code).toBe(2);
    expect(impossible.stderr).toContain('no manifest in the manifests directory declares Node/ip-10-0-1-7');
    const missing = await runCliCaptured(['codify', 'SG-999'], env());
    expect(missing).toMatchObject({ code: 2, stdout: '', stderr: 'stopgap codify: there is no change SG-999\n' });
  });
});
