import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listActiveFindings } from '../../src/store/findings-store.js';
import { TEST_SIGNING_SECRET, type TestApp } from '../support/app.js';
import { startDriftApp, type DriftApp } from '../support/drift-app.js';
import type { FakeKube } from '../../src/demo/fake-kube.js';
import type { RecordedCall } from '../../src/demo/fake-slack.js';
import { logChangeStateValues, ownBlockActions, ownSlashCommandFields, ownViewSubmission, sendInteraction, sendSlashCommand } from '../support/slack-signing.js';
import { waitFor } from '../k8s/helpers.js';
import { desiredConfigMap, desiredDeployment, liveConfigMap, liveDeployment } from '../../src/demo/kube-objects.js';

const SHOP_CHANNEL = 'C0SHOP0001';
const DEFAULT_CHANNEL = 'C0DRIFT001';

// Drift nobody logged is posted, once per object, to the owning team's channel after a grace period; the
// message is kept true in place as the drift is claimed or grows, also across a restart.
describe('unclaimed drift in Slack', () => {
  let drift: DriftApp;
  let app: TestApp;
  let fake: FakeKube;

  beforeAll(async () => {
    drift = await startDriftApp({
      top: `defaultChannel: ${DEFAULT_CHANNEL}
teams:
  - name: shop
    channel: ${SHOP_CHANNEL}
    match: [{ namespace: shop }]`,
      desired: [
        desiredDeployment({ name: 'payments-api', replicas: 3 }),
        desiredDeployment({ name: 'batch-worker', replicas: 2, namespace: 'jobs' }),
        desiredConfigMap({ name: 'app-config', data: { LOG_LEVEL: 'info', POOL: '10' } }),
      ],
      live: [
        liveDeployment({ name: 'payments-api', replicas: 3 }),
        liveDeployment({ name: 'batch-worker', replicas: 2, namespace: 'jobs' }),
        liveConfigMap({ name: 'app-config', data: { LOG_LEVEL: 'info', POOL: '10' } }),
      ],
      drift: 'unclaimedAfter: 1s',
    });
    ({ app, fake } = drift);
  });
  afterAll(async () => {
    await drift?.close();
  });

  const posts = (channel: string) => app.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.fields.channel === channel);
  const updates = () => app.slack.calls.filter((c) => c.method === 'chat.update');
  const text = (c: RecordedCall) => `${String(c.fields.text)}\n${JSON.stringify(c.blocks ?? '')}`;
  const postedTs = () => (app.server.db.prepare("SELECT ts FROM drift_posts WHERE name = 'app-config'").get() as { ts: string } | undefined)?.ts;
  const edit = (data: Record<string, string>) =>
    fake.put(liveConfigMap({ name: 'app-config', data: { LOG_LEVEL: 'info', POOL: '10' }, liveData: data, editedBy: { manager: 'kubectl-edit', time: new Date().toISOString() } }));

  it('posts a ConfigMap edited by hand to the owning team once the grace period is over, with the diff and buttons', async () => {
    edit({ LOG_LEVEL: 'debug', POOL: '10' });
    const post = await app.slack.waitForCall('chat.postMessage', (c) => c.fields.channel === SHOP_CHANNEL, 8000);
    const body = text(post);
    expect(body).toContain('Unclaimed drift on prod-eu');
    expect(body).toContain('ConfigMap shop/app-config');
    expect(body).toContain('/data/LOG_LEVEL');
    expect(body).toMatch(/`info` → `debug`/);
    expect(body).toContain('kubectl-edit');
    expect(body).toContain('It was me: log it');
    expect(body).toContain('drift_link_existing');
    // Seen by the scanner a second or more before: never posted at once.
    const finding = listActiveFindings(app.server.db, { cluster: 'prod-eu', kind: 'ConfigMap' })[0];
    expect(finding).toBeDefined();
    expect(post.at - Date.parse(finding!.firstSeen)).toBeGreaterThanOrEqual(1000);
  });

  it('does not post drift an automation manager wrote, and routes other namespaces to the default channel', async () => {
    fake.put(liveDeployment({ name: 'batch-worker', namespace: 'jobs', replicas: 2, liveReplicas: 9, scaledBy: { manager: 'argocd-application-controller', time: new Date().toISOString() } }));
    await waitFor(() => listActiveFindings(app.server.db, { cluster: 'prod-eu', name: 'batch-worker' }).length > 0, 'automation finding');
    fake.put(liveDeployment({ name: 'payments-api', replicas: 3, liveReplicas: 12, scaledBy: { manager: 'kubectl', time: new Date().toISOString() } }));
    // The scale in shop goes to the team; the automation's write in jobs goes nowhere, although a pass has run since.
    await app.slack.waitForCall('chat.postMessage', (c) => c.fields.channel === SHOP_CHANNEL && text(c).includes('payments-api'), 8000);
    expect(app.slack.calls.some((c) => c.method === 'chat.postMessage' && text(c).includes('batch-worker'))).toBe(false);
    expect(posts(DEFAULT_CHANNEL)).toHaveLength(0);
    expect(posts(SHOP_CHANNEL)).toHaveLength(2);
  });

  it('updates the same message in place when more fields drift, never posting it twice', async () => {
    const ts = await waitFor(postedTs, 'post ts stored');
    expect(ts).toBeDefined();
    edit({ LOG_LEVEL: 'debug', POOL: '50' });
    const update = await app.slack.waitForCall('chat.update', (c) => text(c).includes('/data/POOL'), 8000);
    expect(update.fields).toMatchObject({ channel: SHOP_CHANNEL, ts });
    expect(posts(SHOP_CHANNEL).filter((c) => text(c).includes('app-config'))).toHaveLength(1);
  });

  it('"It was me: log it" opens the form filled in from the drift, and the change it logs takes that drift', async () => {
    const post = posts(SHOP_CHANNEL).find((c) => text(c).includes('payments-api'));
    const value = /"value":"(drift-post:\d+)"/.exec(text(post!))?.[1];
    const click = await sendInteraction(app.url, TEST_SIGNING_SECRET, ownBlockActions({ actionId: 'drift_log_it', value, blockId: 'drift_post_actions', user: { id: 'U0BOB' } }));
    expect(click.status).toBe(200);
    const opened = await app.slack.waitForCall('views.open', (c) => JSON.stringify(c.view).includes('payments-api'));
    const view = opened.view as { callback_id: string; private_metadata: string };
    expect(view.callback_id).toBe('log_change');
    expect(JSON.stringify(opened.view)).toContain('deployment/payments-api');
    const finding = listActiveFindings(app.server.db, { cluster: 'prod-eu', name: 'payments-api' })[0]!;
    expect(JSON.parse(view.private_metadata)).toMatchObject({ claimFindings: [finding.id] });
    const before = app.server.ledger.count();
    const submit = await sendInteraction(
      app.url,
      TEST_SIGNING_SECRET,
      ownViewSubmission({
        callbackId: 'log_change',
        privateMetadata: view.private_metadata,
        user: { id: 'U0BOB' },
        stateValues: logChangeStateValues({ description: 'scaled payments-api to 12 for the sale', resources: 'deployment/payments-api', namespace: 'shop', cluster: 'prod-eu' }),
      }),
    );
    expect(submit.status).toBe(200);
    const change = before + 1;
    await waitFor(() => app.server.db.prepare('SELECT change_id FROM drift_links WHERE finding_id = ?').get(finding.id), 'claimed by the new change');
    expect(app.server.db.prepare('SELECT change_id, how, linked_by FROM drift_links WHERE finding_id = ?').get(finding.id)).toEqual({ change_id: change, how: 'claimed', linked_by: 'U0BOB' });
    await app.slack.waitForCall('chat.update', (c) => text(c).includes('payments-api') && text(c).includes(`Claimed by *SG-${change}*`), 8000);
  });

  it('links the drift to the change picked with "Link to an existing change", and the message says so without buttons', async () => {
    const logged = await sendSlashCommand(app.url, TEST_SIGNING_SECRET, ownSlashCommandFields({ text: 'tuned the pool during INC-9 on svc/payments -n shop', user_id: 'U0ALICE' }));
    expect(logged.status).toBe(200);
    const change = app.server.ledger.count();
    const post = posts(SHOP_CHANNEL).find((c) => text(c).includes('app-config'));
    const value = /"value":"(drift-post:\d+)"/.exec(text(post!))?.[1];
    expect(value).toBeDefined();
    app.slack.reset();
    const click = await sendInteraction(app.url, TEST_SIGNING_SECRET, ownBlockActions({ actionId: 'drift_link_existing', value, blockId: 'drift_post_actions', user: { id: 'U0ALICE' } }));
    expect(click.status).toBe(200);
    const opened = await app.slack.waitForCall('views.open');
    const view = opened.view as { callback_id: string; private_metadata: string; blocks: unknown[] };
    expect(view.callback_id).toBe('link_drift');
    expect(JSON.stringify(view.blocks)).toContain(`SG-${change}`);
    const submit = await sendInteraction(
      app.url,
      TEST_SIGNING_SECRET,
      ownViewSubmission({
        callbackId: 'link_drift',
        privateMetadata: view.private_metadata,
        user: { id: 'U0ALICE' },
        stateValues: { change: { value: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: `SG-${change}` }, value: `SG-${change}` } } } },
      }),
    );
    expect(submit.status).toBe(200);
    const claimed = await app.slack.waitForCall('chat.update', (c) => text(c).includes(`Claimed by *SG-${change}*`), 8000);
    expect(text(claimed)).not.toContain('drift_log_it');
    const findings = listActiveFindings(app.server.db, { cluster: 'prod-eu', kind: 'ConfigMap' });
    for (const f of findings) expect(app.server.db.prepare('SELECT change_id, how FROM drift_links WHERE finding_id = ?').get(f.id)).toEqual({ change_id: change, how: 'claimed' });
  });

  it('after a restart, updates the message it posted before instead of posting again', async () => {
    const ts = await waitFor(postedTs, 'post ts stored');
    expect(ts).toBeDefined();
    await app.restart();
    app.slack.reset();
    // Unclaimed by hand: the same message asks again.
    const finding = listActiveFindings(app.server.db, { cluster: 'prod-eu', kind: 'ConfigMap' })[0]!;
    const res = await sendSlashCommand(app.url, TEST_SIGNING_SECRET, ownSlashCommandFields({ text: `unclaim D-${finding.id}`, user_id: 'U0ALICE' }));
    expect(res.status).toBe(200);
    const update = await app.slack.waitForCall('chat.update', (c) => text(c).includes('Unclaimed drift'), 8000);
    expect(update.fields).toMatchObject({ channel: SHOP_CHANNEL, ts });
    expect(updates().length).toBeGreaterThanOrEqual(1);
    expect(app.slack.calls.some((c) => c.method === 'chat.postMessage' && text(c).includes('app-config'))).toBe(false);
    expect(app.server.ledger.verify().ok).toBe(true);
  });

  it('"Expected: ignore" records why in the ledger, ends the drift at once, and it is never reported again', async () => {
    // Both fields unclaimed again, so the whole object is the team's to decide about.
    expect((await sendSlashCommand(app.url, TEST_SIGNING_SECRET, ownSlashCommandFields({ text: 'unclaim cm/app-config -n shop', user_id: 'U0ALICE' }))).status).toBe(200);
    await waitFor(() => (app.server.db.prepare("SELECT count(*) AS n FROM drift_links l JOIN drift_findings f ON f.id = l.finding_id WHERE f.name = 'app-config' AND f.resolved_at IS NULL").get() as { n: number }).n === 0, 'all unclaimed');
    // The message was sent before the restart; its buttons carry the post's id.
    const postId = (app.server.db.prepare("SELECT id FROM drift_posts WHERE name = 'app-config' AND closed_at IS NULL").get() as { id: number }).id;
    const value = `drift-post:${postId}`;
    const ts = await waitFor(postedTs, 'post ts stored');
    const ids = listActiveFindings(app.server.db, { cluster: 'prod-eu', kind: 'ConfigMap' }).map((f) => f.id);
    expect(ids.length).toBeGreaterThan(0);
    app.slack.reset();
    expect((await sendInteraction(app.url, TEST_SIGNING_SECRET, ownBlockActions({ actionId: 'drift_ignore', value, blockId: 'drift_post_actions', user: { id: 'U0ALICE' } }))).status).toBe(200);
    const opened = await app.slack.waitForCall('views.open');
    const view = opened.view as { callback_id: string; private_metadata: string };
    expect(view.callback_id).toBe('ignore_drift');
    const submit = (reason: string) =>
      sendInteraction(app.url, TEST_SIGNING_SECRET, ownViewSubmission({ callbackId: 'ignore_drift', privateMetadata: view.private_metadata, user: { id: 'U0ALICE' }, stateValues: { reason: { value: { type: 'plain_text_input', value: reason } } } }));
    // A form whose metadata is not ours (forged, or from an older version) changes nothing.
    for (const [callbackId, metadata] of [['ignore_drift', 'not json'], ['link_drift', '{"postId":-1}'], ['ignore_drift', JSON.stringify({ postId: 999999 })]] as const) {
      const forged = await sendInteraction(app.url, TEST_SIGNING_SECRET, ownViewSubmission({ callbackId, privateMetadata: metadata, user: { id: 'U0ALICE' }, stateValues: { reason: { value: { type: 'plain_text_input', value: 'x' } } } }));
      expect(forged.status).toBe(200);
      expect(forged.json).toMatchObject({ response_action: 'update' });
    }
    expect(app.server.db.prepare('SELECT count(*) AS n FROM drift_ignores').get()).toEqual({ n: 0 });
    const empty = await submit('   ');
    expect(empty.json).toMatchObject({ response_action: 'errors' });
    expect((await submit('the pool size is tuned live by the DBA team')).status).toBe(200);

    const rule = await waitFor(() => app.server.db.prepare("SELECT change_id, pointers FROM drift_ignores WHERE name = 'app-config'").get() as { change_id: number; pointers: string } | undefined, 'ignore rule');
    expect(JSON.parse(rule.pointers)).toEqual(expect.arrayContaining(['/data/LOG_LEVEL', '/data/POOL']));
    expect(app.server.ledger.get(rule.change_id)).toMatchObject({ status: 'dismissed', reason: 'the pool size is tuned live by the DBA team', actor: 'U0ALICE', source: 'api' });
    expect(listActiveFindings(app.server.db, { cluster: 'prod-eu', kind: 'ConfigMap' })).toEqual([]);
    const update = await app.slack.waitForCall('chat.update', (c) => text(c).includes('Marked expected'), 8000);
    expect(update.fields).toMatchObject({ channel: SHOP_CHANNEL, ts });
    expect(text(update)).not.toContain('drift_ignore');

    // The scanner sees the object again, edited once more and with a key added by hand: the new key is
    // drift, the two ignored fields stay quiet whatever their values.
    fake.put(liveConfigMap({ name: 'app-config', data: { LOG_LEVEL: 'info', POOL: '10' }, liveData: { LOG_LEVEL: 'trace', POOL: '60', EXTRA: 'on' }, editedBy: { manager: 'kubectl-edit', time: new Date().toISOString() } }));
    await waitFor(() => listActiveFindings(app.server.db, { cluster: 'prod-eu', kind: 'ConfigMap' }).find((f) => f.path === '/data/EXTRA'), 'the new key as drift');
    expect(listActiveFindings(app.server.db, { cluster: 'prod-eu', kind: 'ConfigMap' }).map((f) => f.path)).toEqual(['/data/EXTRA']);
    expect(app.server.ledger.verify().ok).toBe(true);
  });
});
