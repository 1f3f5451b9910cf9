import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/drift/findings.js';
import { listActiveFindings } from '../../src/store/findings-store.js';
import type { TestApp } from '../support/app.js';
import { startDriftApp, type DriftApp } from '../support/drift-app.js';
import type { FakeKube } from '../../src/demo/fake-kube.js';
import { waitFor } from '../k8s/helpers.js';
import { desiredConfigMap, desiredDeployment, liveConfigMap, liveDeployment } from '../../src/demo/kube-objects.js';

// An incident on a watched cluster, end to end: `/fix` over signed HTTP, drift from a fake API server's
// watch, links recorded in the ledger, and what people then see in `/fix show`, `list` and `drift`.
describe('linking drift to changes in serve', () => {
  let drift: DriftApp;
  let app: TestApp;
  let fake: FakeKube;
  const fix = (text: string, user?: string) => drift.fix(text, user);

  beforeAll(async () => {
    drift = await startDriftApp({
      top: 'admins: [U0ADMIN01]',
      desired: [desiredDeployment({ name: 'payments-api', replicas: 3 }), desiredConfigMap({ name: 'app-config', data: { LOG_LEVEL: 'info' } })],
      live: [liveDeployment({ name: 'payments-api', replicas: 3 }), liveConfigMap({ name: 'app-config', data: { LOG_LEVEL: 'info' } })],
    });
    ({ app, fake } = drift);
  });
  afterAll(async () => {
    await drift?.close();
  });

  const findingAt = (path: string) => (): Finding | undefined => listActiveFindings(app.server.db, { cluster: 'prod-eu' }).find((f) => f.path === path);
  const linkOf = (id: number) => app.server.db.prepare('SELECT change_id, how, linked_by FROM drift_links WHERE finding_id = ?').get(id) as { change_id: number; how: string; linked_by: string } | undefined;

  it('links drift seen after the change was logged to that change, as a ledger event', async () => {
    expect(await fix('scaled deploy/payments-api -n shop to 12 replicas for INC-4821')).toContain('SG-1');
    fake.put(liveDeployment({ name: 'payments-api', replicas: 3, liveReplicas: 12, scaledBy: { manager: 'kubectl', time: new Date().toISOString() } }));
    const finding = await waitFor(findingAt('/spec/replicas'), 'replicas finding');
    const link = await waitFor(() => linkOf(finding.id), 'automatic link');
    expect(link).toEqual({ change_id: 1, how: 'automatic', linked_by: 'stopgap' });
    expect(app.server.ledger.events(1).map((e) => e.type)).toEqual(['created', 'drift_linked']);
    expect(app.logs()).toContain('"msg":"drift linked"');
  });

  it('shows the linked drift on /fix show and marks the change in /fix list', async () => {
    const finding = await waitFor(findingAt('/spec/replicas'), 'replicas finding');
    const show = await fix('show SG-1');
    expect(show).toContain('Linked drift');
    expect(show).toContain(`D-${finding.id}`);
    expect(show).toContain('/spec/replicas');
    expect(show).toMatch(/`3` → `12`/);
    expect(show).toContain('still live');
    expect(await fix('list all')).toContain('drift still live');
  });

  it('lists drift nobody logged, and links it to a change logged afterwards that names it', async () => {
    fake.put(liveConfigMap({ name: 'app-config', data: { LOG_LEVEL: 'info' }, liveData: { LOG_LEVEL: 'debug' }, editedBy: { manager: 'kubectl-edit', time: new Date().toISOString() } }));
    const finding = await waitFor(findingAt('/data/LOG_LEVEL'), 'configmap finding');
    // The scanner's pass has finished linking before the list is read.
    await waitFor(() => app.logs().split('\n').some((l) => l.includes('drift findings changed') && l.includes('LOG_LEVEL')), 'configmap pass logged');
    const drift = await fix('drift');
    expect(drift).toContain(`D-${finding.id}`);
    expect(drift).toContain('ConfigMap shop/app-config');
    expect(drift).not.toContain('/spec/replicas');

    expect(await fix('set LOG_LEVEL=debug on cm/app-config -n shop')).toContain('SG-2');
    expect(await waitFor(() => linkOf(finding.id), 'link to the later change')).toMatchObject({ change_id: 2, how: 'automatic' });
    expect(await fix('drift prod-eu')).toContain('No unclaimed drift on prod-eu');
  });

  it('lets the owner unclaim and claim drift by hand, and refuses someone else', async () => {
    const finding = await waitFor(findingAt('/data/LOG_LEVEL'), 'configmap finding');
    expect(await fix(`unclaim D-${finding.id}`, 'U0MALLORY')).toContain("Only SG-2's owner");
    expect(await fix(`unclaim cm/app-config -n shop`)).toContain('Unlinked');
    expect(linkOf(finding.id)).toBeUndefined();
    expect(await fix('drift')).toContain(`D-${finding.id}`);
    expect(await fix(`claim D-${finding.id} SG-1`)).toContain('to *SG-1*');
    expect(linkOf(finding.id)).toEqual({ change_id: 1, how: 'claimed', linked_by: 'U0ALICE01' });
    expect(await fix(`claim D-${finding.id} SG-1`)).toContain('already linked');
    expect(await fix('claim D-99999 SG-1')).toContain('There is no drift finding D-99999');
    expect(await fix('claim deploy/nothing-here SG-1')).toContain('The scanner sees no drift');
    expect(app.server.ledger.events(2).map((e) => e.type)).toEqual(['created', 'drift_linked', 'drift_unlinked']);
    expect(app.server.ledger.verify()).toMatchObject({ ok: true });
  });
});
