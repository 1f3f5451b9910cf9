import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listActiveFindings } from '../../src/store/findings-store.js';
import type { Finding } from '../../src/drift/findings.js';
import { startDriftApp, type DriftApp } from '../support/drift-app.js';
import type { RecordedCall } from '../../src/demo/fake-slack.js';
import { waitFor } from '../k8s/helpers.js';
import { desiredConfigMap, desiredDeployment, desiredNode, liveConfigMap, liveDeployment, liveNode } from '../../src/demo/kube-objects.js';

const SHOP = 'C0SHOP0001';
const NODE = 'ip-10-0-1-7';

// INC-42, start to finish. During the incident Alice scales payments-api, Bob cordons a node, someone
// edits a ConfigMap and someone sets checkout's image. The scale and the cordon are logged with /fix
// before the scanner sees them, the ConfigMap edit after, the image never. Then the cluster is put
// right, partly in git and partly by hand, and Stopgap closes what it can prove.
describe('a scripted incident: drift, links, unclaimed drift, verified closes', () => {
  let d: DriftApp;
  const now = () => new Date().toISOString();
  const manifests = (logLevel: string) => [
    desiredDeployment({ name: 'payments-api', replicas: 3 }),
    desiredDeployment({ name: 'checkout', replicas: 2 }),
    desiredConfigMap({ name: 'app-config', data: { LOG_LEVEL: logLevel } }),
    desiredNode(NODE),
  ];
  const active = (): Finding[] => listActiveFindings(d.app.server.db, { cluster: 'prod-eu' });
  const findingOf = (name: string, path?: string) => () => active().find((f) => f.ref.name === name && (path === undefined || f.path === path));
  const linkOf = (id: number) => (d.app.server.db.prepare('SELECT change_id FROM drift_links WHERE finding_id = ?').get(id) as { change_id: number } | undefined)?.change_id;
  const status = (id: number) => d.app.server.ledger.get(id);
  const text = (c: RecordedCall) => `${c.fields.text ?? ''}\n${JSON.stringify(c.blocks ?? '')}`;

  beforeAll(async () => {
    d = await startDriftApp({
      top: `teams:\n  - name: shop\n    channel: ${SHOP}\n    match: [{ namespace: shop }, { kind: Node }]`,
      desired: manifests('info'),
      live: [
        liveDeployment({ name: 'payments-api', replicas: 3 }),
        liveDeployment({ name: 'checkout', replicas: 2 }),
        liveConfigMap({ name: 'app-config', data: { LOG_LEVEL: 'info' } }),
        liveNode(NODE),
      ],
      kinds: ['Deployment', 'ConfigMap', 'Node'],
      drift: 'unclaimedAfter: 1s\nresyncSeconds: 1',
    });
  });
  afterAll(async () => {
    await d?.close();
  });

  it('links the scale and the cordon to the changes logged before the drift was seen', async () => {
    expect(await d.fix('scaled deploy/payments-api -n shop to 12 for INC-42', 'U0ALICE01')).toContain('SG-1');
    expect(await d.fix('cordoned node/ip-10-0-1-7 for INC-42', 'U0BOB0001')).toContain('SG-2');
    d.fake.put(liveDeployment({ name: 'payments-api', replicas: 3, liveReplicas: 12, scaledBy: { manager: 'kubectl', time: now() } }));
    d.fake.put(liveNode(NODE, { manager: 'kubectl-cordon', time: now() }));
    const scale = await waitFor(findingOf('payments-api', '/spec/replicas'), 'scale finding');
    const cordon = await waitFor(findingOf(NODE, '/spec/unschedulable'), 'cordon finding');
    expect(cordon).toMatchObject({ difference: 'extra', live: true, attribution: { manager: 'kubectl-cordon', managerClass: 'manual' } });
    expect(await waitFor(() => linkOf(scale.id), 'scale linked')).toBe(1);
    expect(await waitFor(() => linkOf(cordon.id), 'cordon linked')).toBe(2);
    // The incident channel hears it in the thread of SG-1's announcement, once.
    const announced = await waitFor(() => d.app.server.db.prepare('SELECT channel, ts FROM change_messages WHERE change_id = 1').get() as { channel: string; ts: string } | undefined, 'SG-1 announced');
    const note = await d.app.slack.waitForCall('chat.postMessage', (c) => c.fields.thread_ts === announced.ts);
    expect(note.fields.channel).toBe(announced.channel);
    expect(note.fields.text).toContain('drift linked to SG-1');
    expect(note.fields.text).toContain('/spec/replicas');
  });

  it('links the ConfigMap edit to the change logged after it was seen, and posts the image nobody logged, once', async () => {
    d.fake.put(liveConfigMap({ name: 'app-config', data: { LOG_LEVEL: 'info' }, liveData: { LOG_LEVEL: 'debug' }, editedBy: { manager: 'kubectl-edit', time: now() } }));
    d.fake.put(liveDeployment({ name: 'checkout', replicas: 2, liveImage: 'registry.example.com/checkout:0.9.7', scaledBy: { manager: 'kubectl-set', time: now() } }));
    const edit = await waitFor(findingOf('app-config'), 'configmap finding');
    const image = await waitFor(findingOf('checkout'), 'image finding');
    expect(await d.fix('set LOG_LEVEL=debug on cm/app-config -n shop for INC-42', 'U0ALICE01')).toContain('SG-3');
    expect(await waitFor(() => linkOf(edit.id), 'edit linked')).toBe(3);

    const post = await d.app.slack.waitForCall('chat.postMessage', (c) => c.fields.channel === SHOP && text(c).includes('checkout'), 8000);
    expect(text(post)).toContain('/spec/template/spec/containers/name=api/image');
    expect(text(post)).toContain('kubectl-set');
    expect(linkOf(image.id)).toBeUndefined();
    // Exactly the expected links, and one post: the other three were claimed before the grace period ended.
    expect(d.app.server.db.prepare('SELECT finding_id, change_id FROM drift_links ORDER BY finding_id').all()).toEqual(
      [
        { finding_id: (findingOf('payments-api', '/spec/replicas')() as Finding).id, change_id: 1 },
        { finding_id: (findingOf(NODE)() as Finding).id, change_id: 2 },
        { finding_id: edit.id, change_id: 3 },
      ].sort((a, b) => a.finding_id - b.finding_id),
    );
    expect(d.app.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.fields.channel === SHOP)).toHaveLength(1);
  });

  it('updates the post in place when Alice claims the image change', async () => {
    const ts = await waitFor(() => (d.app.server.db.prepare("SELECT ts FROM drift_posts WHERE name = 'checkout'").get() as { ts: string | null } | undefined)?.ts, 'post ts stored');
    expect(await d.fix('claim deploy/checkout -n shop SG-1', 'U0ALICE01')).toContain('to *SG-1*');
    const update = await d.app.slack.waitForCall('chat.update', (c) => text(c).includes('Claimed by *SG-1*'), 8000);
    expect(update.fields).toMatchObject({ channel: SHOP, ts });
    expect(d.app.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.fields.channel === SHOP)).toHaveLength(1);
  });

  it('closes nothing while the API server answers 500, then closes each change as the cluster proves it', async () => {
    d.fake.inject('deployments', { type: 'status', code: 500, on: 'any' });
    const before = d.fake.requestsFor('deployments').length;
    d.fake.dropWatches('deployments');
    await waitFor(() => d.fake.requestsFor('deployments').length >= before + 3, 'failed deployment lists');
    expect([1, 2, 3].map((id) => status(id)?.status)).toEqual(['open', 'open', 'open']);

    d.fake.clearFaults();
    // Put back by hand: both of SG-1's objects; SG-1 closes only once both are back.
    d.fake.put(liveDeployment({ name: 'payments-api', replicas: 3 }));
    await waitFor(() => !findingOf('payments-api')(), 'scale reverted');
    expect(status(1)?.status).toBe('open');
    d.fake.put(liveDeployment({ name: 'checkout', replicas: 2 }));
    await waitFor(() => status(1)?.status === 'reverted', 'SG-1 reverted', 8000);
    // Codified in git: the manifests take the live value.
    d.writeManifests(manifests('debug'));
    await waitFor(() => status(3)?.status === 'codified', 'SG-3 codified', 8000);
    // Bob uncordons.
    d.fake.put(liveNode(NODE));
    await waitFor(() => status(2)?.status === 'reverted', 'SG-2 reverted', 8000);

    for (const id of [1, 2, 3]) expect(status(id)?.verified).toBe(true);
    const thread = (id: number) => (d.app.server.db.prepare('SELECT ts FROM change_messages WHERE change_id = ?').get(id) as { ts: string }).ts;
    const closedNote = await d.app.slack.waitForCall('chat.postMessage', (c) => c.fields.thread_ts === thread(1) && (c.fields.text ?? '').includes('closed by itself'));
    expect(closedNote.fields.text).toContain('*reverted*, verified');
    expect(d.app.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.fields.thread_ts === thread(1))).toHaveLength(2);
    expect(d.app.server.ledger.events(1).map((e) => e.type)).toEqual(['created', 'drift_linked', 'drift_linked', 'verified_reverted']);
    expect(d.app.server.ledger.events(3).map((e) => e.type)).toEqual(['created', 'drift_linked', 'verified_codified']);
    expect(d.app.server.ledger.verify()).toMatchObject({ ok: true, problems: [] });
  });
});
