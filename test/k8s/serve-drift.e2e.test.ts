import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { listActiveFindings } from '../../src/store/findings-store.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { closedPort, startFakeKube, writeKubeconfig, type FakeKube } from '../../src/demo/fake-kube.js';
import { waitFor } from './helpers.js';
import { desiredDeployment, desiredSecret, liveDeployment, liveSecret } from '../../src/demo/kube-objects.js';

const SECRET_VALUE = 'hunter2-live-db-password';

// `stopgap serve` with clusters configured watches them in the background: drift made by hand shows
// up as findings while the bot answers Slack, and a dead cluster next to it changes nothing.
describe('serve watches the configured clusters', () => {
  let fake: FakeKube;
  let app: TestApp;
  let manifests: string;

  beforeAll(async () => {
    // The desired state a team keeps in git, as a directory of manifests.
    manifests = mkdtempSync(join(tmpdir(), 'stopgap-manifests-'));
    writeFileSync(
      join(manifests, 'shop.yaml'),
      [desiredDeployment({ name: 'payments-api', replicas: 3 }), desiredSecret({ name: 'db', data: { password: 'old-password' } })]
        .map((o) => stringify(o))
        .join('---\n'),
    );
    fake = await startFakeKube();
    const dead = await closedPort();
    fake.put(liveDeployment({ name: 'payments-api', replicas: 3, liveReplicas: 12, scaledBy: { manager: 'kubectl', time: '2026-11-26T09:00:00Z' } }));
    fake.put(liveSecret({ name: 'db', data: { password: 'old-password' }, liveData: { password: SECRET_VALUE }, editedBy: { manager: 'kubectl-edit', time: '2026-11-26T09:05:00Z' } }));
    const kubeconfig = writeKubeconfig([
      { name: 'prod', server: fake.url, token: fake.token },
      { name: 'broken', server: `http://127.0.0.1:${dead}` },
    ]);
    app = await startTestApp({
      env: { KUBECONFIG: kubeconfig },
      config: `
clusters:
  - name: broken-eu
    context: broken
    kinds: [Deployment]
  - name: prod-eu
    context: prod
    desired: { type: directory, path: ${JSON.stringify(manifests)} }
    kinds: [Deployment, Secret]
drift:
  backoffInitialSeconds: 0.05
  backoffMaxSeconds: 0.2
  requestTimeoutSeconds: 2
`,
    });
  });
  afterAll(async () => {
    await app?.stop();
    await fake?.close();
    rmSync(manifests, { recursive: true, force: true });
  });

  it('records a kubectl scale as a finding attributed to kubectl, despite the broken cluster', async () => {
    const finding = await waitFor(
      () => listActiveFindings(app.server.db, { cluster: 'prod-eu' }).find((f) => f.path === '/spec/replicas'),
      'replicas finding',
    );
    expect(finding).toMatchObject({ desired: 3, live: 12, attribution: { manager: 'kubectl', managerClass: 'manual' } });
    expect(finding.ref).toMatchObject({ kind: 'Deployment', namespace: 'shop', name: 'payments-api' });
  });

  it('keeps secret values out of the database and the logs, storing only a fingerprint', async () => {
    const finding = await waitFor(
      () => listActiveFindings(app.server.db, { cluster: 'prod-eu' }).find((f) => f.ref.kind === 'Secret'),
      'secret finding',
    );
    expect(finding.sensitive).toBe(true);
    expect(String(finding.live)).toMatch(/^hmac-sha256:/);
    app.server.db.pragma('wal_checkpoint(TRUNCATE)');
    const bytes = readFileSync(app.dbPath);
    expect(bytes.includes(Buffer.from(SECRET_VALUE))).toBe(false);
    expect(bytes.includes(Buffer.from(Buffer.from(SECRET_VALUE).toString('base64')))).toBe(false);
    expect(app.logs()).not.toContain(SECRET_VALUE);
    expect(app.logs()).not.toContain(Buffer.from(SECRET_VALUE).toString('base64'));
  });

  it('logs the broken cluster as a problem and keeps serving', async () => {
    await waitFor(() => app.logs().includes('"cluster":"broken-eu"') && app.logs().includes('drift cluster failed'), 'broken cluster logged');
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  });

  it('resolves the finding as reverted when the watch sees the replicas put back', async () => {
    fake.put(liveDeployment({ name: 'payments-api', replicas: 3 }));
    await waitFor(
      () => !listActiveFindings(app.server.db, { cluster: 'prod-eu' }).some((f) => f.path === '/spec/replicas'),
      'replicas finding resolved',
    );
    const row = app.server.db
      .prepare("SELECT resolution FROM drift_findings WHERE cluster = 'prod-eu' AND path = '/spec/replicas'")
      .get() as { resolution: string };
    expect(row.resolution).toBe('reverted');
  });
});
