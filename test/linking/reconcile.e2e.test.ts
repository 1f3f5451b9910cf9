import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listActiveFindings } from '../../src/store/findings-store.js';
import type { TestApp } from '../support/app.js';
import { startDriftApp, type DriftApp } from '../support/drift-app.js';
import type { FakeKube } from '../../src/demo/fake-kube.js';
import { waitFor } from '../k8s/helpers.js';
import { desiredConfigMap, desiredDeployment, liveConfigMap, liveDeployment } from '../../src/demo/kube-objects.js';

// The cluster proves reconciliation: a change closes by itself, verified, when every field linked to it
// is back at desired state (reverted) or desired state took the live value (codified in git), and never
// while the cluster cannot be read.
describe('changes the cluster proves reconciled', () => {
  let drift: DriftApp;
  let app: TestApp;
  let fake: FakeKube;
  const desired = (logLevel: string) => [
    desiredDeployment({ name: 'payments-api', replicas: 3 }),
    desiredDeployment({ name: 'worker', replicas: 2 }),
    desiredConfigMap({ name: 'app-config', data: { LOG_LEVEL: logLevel } }),
  ];
  const writeManifests = (logLevel: string) => drift.writeManifests(desired(logLevel));
  const fix = (text: string, user?: string) => drift.fix(text, user);

  beforeAll(async () => {
    drift = await startDriftApp({
      desired: desired('info'),
      live: [liveDeployment({ name: 'payments-api', replicas: 3 }), liveDeployment({ name: 'worker', replicas: 2 }), liveConfigMap({ name: 'app-config', data: { LOG_LEVEL: 'info' } })],
      drift: 'resyncSeconds: 1',
    });
    ({ app, fake } = drift);
  });
  afterAll(async () => {
    await drift?.close();
  });

  const linkedTo = (findingId: number) => (app.server.db.prepare('SELECT change_id FROM drift_links WHERE finding_id = ?').get(findingId) as { change_id: number } | undefined)?.change_id;

  it('keeps a change open while the API server fails, then closes it as reverted, verified, once the replicas are put back', async () => {
    fake.put(liveDeployment({ name: 'payments-api', replicas: 3, liveReplicas: 12, scaledBy: { manager: 'kubectl', time: new Date().toISOString() } }));
    const finding = await waitFor(() => listActiveFindings(app.server.db, { cluster: 'prod-eu', name: 'payments-api' })[0], 'scale finding');
    expect(await fix('scaled deploy/payments-api -n shop to 12 for INC-7')).toContain('SG-1');
    await waitFor(() => linkedTo(finding.id) === 1, 'link to SG-1');
    // Saying it was reverted while the scale is still live only puts it in review.
    expect(await fix('reverted SG-1')).toContain('closes as reverted once the scanner sees the cluster back');
    expect(app.server.ledger.get(1)?.status).toBe('in_review');

    // The API server breaks: lists and watches fail. Nothing may be closed on missing data.
    fake.inject('deployments', { type: 'status', code: 500, on: 'any' });
    const failedBefore = fake.requestsFor('deployments').length;
    fake.dropWatches('deployments');
    await waitFor(() => fake.requestsFor('deployments').length >= failedBefore + 3, 'failed lists after the watch dropped');
    expect(app.server.ledger.get(1)?.status).toBe('in_review');
    expect(listActiveFindings(app.server.db, { cluster: 'prod-eu', name: 'payments-api' })).toHaveLength(1);

    fake.clearFaults();
    fake.put(liveDeployment({ name: 'payments-api', replicas: 3 }));
    const closed = await waitFor(() => (app.server.ledger.get(1)?.status === 'reverted' ? app.server.ledger.get(1) : undefined), 'SG-1 closed', 8000);
    expect(closed).toMatchObject({ status: 'reverted', verified: true });
    const event = app.server.ledger.events(1).at(-1) as { type: string; actor: string; data: { action: { evidence: { path: string; resolution: string }[] } } };
    expect(event.type).toBe('verified_reverted');
    expect(event.actor).toBe('stopgap');
    expect(event.data.action.evidence).toEqual([expect.objectContaining({ path: '/spec/replicas', resolution: 'reverted', desired: '3', live: '12' })]);
    const dm = await app.slack.waitForCall('chat.postMessage', (c) => c.fields.channel === 'U0ALICE01' && (c.fields.text ?? '').includes('SG-1'));
    expect(dm.fields.text).toContain('closed by itself as *reverted*');
  });

  it('closes a change as codified, verified, when the manifests in git take the live value', async () => {
    fake.put(liveConfigMap({ name: 'app-config', data: { LOG_LEVEL: 'info' }, liveData: { LOG_LEVEL: 'debug' }, editedBy: { manager: 'kubectl-edit', time: new Date().toISOString() } }));
    const finding = await waitFor(() => listActiveFindings(app.server.db, { cluster: 'prod-eu', name: 'app-config' })[0], 'configmap finding');
    expect(await fix('set LOG_LEVEL=debug on cm/app-config -n shop')).toContain('SG-2');
    await waitFor(() => linkedTo(finding.id) === 2, 'link to SG-2');
    expect(await fix('codified SG-2 https://github.com/acme/infra/pull/9')).toContain('It closes as codified once the scanner sees desired state hold what is live');
    writeManifests('debug');
    const closed = await waitFor(() => (app.server.ledger.get(2)?.status === 'codified' ? app.server.ledger.get(2) : undefined), 'SG-2 codified', 8000);
    expect(closed).toMatchObject({ verified: true, prUrl: 'https://github.com/acme/infra/pull/9' });
    expect(app.server.ledger.events(2).at(-1)?.type).toBe('verified_codified');
  });

  it('closes a change with no linked drift on a person\'s word, unverified, and the ledger verifies', async () => {
    expect(await fix('restarted the payments pods for INC-7')).toContain('SG-3');
    expect(await fix('codified SG-3 https://github.com/acme/infra/pull/10')).toContain('unverified');
    expect(app.server.ledger.get(3)).toMatchObject({ status: 'codified', verified: false });
    expect(app.server.ledger.verify()).toMatchObject({ ok: true, problems: [] });
  });

  it('keeps a change open when its object is deleted by hand while desired state still declares it, and says so', async () => {
    fake.put(liveDeployment({ name: 'worker', replicas: 2, liveReplicas: 0, scaledBy: { manager: 'kubectl', time: new Date().toISOString() } }));
    const scaled = await waitFor(() => listActiveFindings(app.server.db, { cluster: 'prod-eu', name: 'worker' })[0], 'worker scaled');
    const key = (await fix('scaled deploy/worker -n shop to 0 to stop the poison messages')).match(/SG-(\d+)/)?.[1];
    const id = Number(key);
    await waitFor(() => linkedTo(scaled.id) === id, 'linked');
    fake.delete('apps/v1', 'Deployment', 'worker', 'shop');
    // The scale's finding ends with the object; the declared object's absence is new drift on the same change.
    const missing = await waitFor(() => listActiveFindings(app.server.db, { cluster: 'prod-eu', name: 'worker' }).find((f) => f.path === ''), 'missing object finding');
    await waitFor(() => linkedTo(missing.id) === id, 'absence linked to the same change');
    expect(app.server.ledger.get(id)?.status).toBe('open');
    const show = await fix(`show SG-${id}`);
    expect(show).toContain('whole object');
    expect(show).toContain('missing from the cluster');
  });
});
