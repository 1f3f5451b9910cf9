import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDriftApp, type DriftApp } from '../support/drift-app.js';
import { TEST_SIGNING_SECRET } from '../support/app.js';
import type { RecordedCall } from '../../src/demo/fake-slack.js';
import { ownBlockActions, ownHomeOpened, ownSlashCommandFields, sendEvent, sendInteraction, sendSlashCommand } from '../support/slack-signing.js';
import { waitFor } from '../k8s/helpers.js';
import { desiredConfigMap, desiredDeployment, liveConfigMap, liveDeployment } from '../../src/demo/kube-objects.js';

// App Home: the person's open changes (overdue first) and those they logged for others, with the
// change actions; the unclaimed drift in their teams' scope; published again after each action there.
describe('App Home', () => {
  let d: DriftApp;
  const view = (c: RecordedCall) => JSON.stringify(c.view);
  let publishes = 0;
  const nextPublish = async (user: string) => {
    const call = await d.app.slack.waitForCall('views.publish', (c) => c.fields.user_id === user && d.app.slack.callsTo('views.publish').indexOf(c) >= publishes);
    publishes = d.app.slack.callsTo('views.publish').indexOf(call) + 1;
    return call;
  };

  beforeAll(async () => {
    d = await startDriftApp({
      desired: [desiredDeployment({ name: 'checkout', replicas: 2 }), desiredConfigMap({ name: 'pay-config', namespace: 'pay', data: { MODE: 'live' } })],
      live: [liveDeployment({ name: 'checkout', replicas: 2 }), liveConfigMap({ name: 'pay-config', namespace: 'pay', data: { MODE: 'live' } })],
      top: `teams:\n  - name: payments\n    channel: C0PAYMENTS\n    members: [U0ALICE01]\n    match: [{ namespace: pay }]\n  - name: shop\n    channel: C0SHOPTEAM\n    members: [U0BOB0001]\n    match: [{ namespace: shop }]\n`,
      drift: 'unclaimedAfter: 1h',
    });
  });
  afterAll(async () => {
    await d?.close();
  });

  it('lists the person\'s changes with their actions, what they logged for others, and their teams\' unclaimed drift', async () => {
    const log = (text: string, user: string) => sendSlashCommand(d.app.url, TEST_SIGNING_SECRET, ownSlashCommandFields({ text, user_id: user, response_url: d.app.slack.responseUrl(text.length.toString()) }));
    await log('scaled deploy/api -n shop to 3 for INC-1', 'U0ALICE01');
    await log('restarted deploy/cart -n shop for INC-1 owner <@U0BOB0001>', 'U0ALICE01');
    // Drift nobody logged: one object in each team's scope.
    const t = new Date(Date.now() - 1_000).toISOString();
    d.fake.put(liveConfigMap({ name: 'pay-config', namespace: 'pay', data: { MODE: 'live' }, liveData: { MODE: 'maintenance' }, editedBy: { manager: 'kubectl-edit', time: t } }));
    d.fake.put(liveDeployment({ name: 'checkout', replicas: 2, liveReplicas: 7, scaledBy: { manager: 'kubectl', time: t } }));
    await waitFor(() => d.app.server.db.prepare('SELECT count(*) AS n FROM drift_findings WHERE resolved_at IS NULL').pluck().get() === 2, 'both drifted');

    await sendEvent(d.app.url, TEST_SIGNING_SECRET, ownHomeOpened('Ev0HOME1', 'U0ALICE01'));
    const home = view(await nextPublish('U0ALICE01'));
    expect(home).toContain('deploy/api');
    expect(home).toContain('Logged by you for others');
    expect(home).toContain('deploy/cart');
    expect(home).toContain('change_actions:SG-1');
    expect(home).toContain('change_actions:SG-2');
    expect(home).toContain('change_snooze');
    // Alice is in payments: its ConfigMap's drift is hers to see, the shop Deployment's is not.
    expect(home).toContain('ConfigMap pay/pay-config');
    expect(home).not.toContain('Deployment shop/checkout');

    await sendEvent(d.app.url, TEST_SIGNING_SECRET, ownHomeOpened('Ev0HOME2', 'U0BOB0001'));
    const bobs = view(await nextPublish('U0BOB0001'));
    expect(bobs).toContain('deploy/cart');
    expect(bobs).toContain('Deployment shop/checkout');
    expect(bobs).not.toContain('pay-config');

    await sendEvent(d.app.url, TEST_SIGNING_SECRET, ownHomeOpened('Ev0HOME3', 'U0CAROL01'));
    expect(view(await nextPublish('U0CAROL01'))).toContain('not among any team');
  });

  it('acts from the tab with the same checks, and publishes the tab again', async () => {
    const res = await sendInteraction(d.app.url, TEST_SIGNING_SECRET, ownBlockActions({ actionId: 'change_reverted', value: 'SG-1', blockId: 'change_actions:SG-1', user: { id: 'U0ALICE01' }, container: 'view' }));
    expect(res.status).toBe(200);
    expect(d.app.server.ledger.get(1)?.status).toBe('reverted');
    const home = view(await nextPublish('U0ALICE01'));
    expect(home).not.toContain('change_actions:SG-1');
    expect(home).toContain('change_actions:SG-2');
    // Carol may not close Bob's change: refused by DM (a tab has no response URL), nothing published.
    await sendInteraction(d.app.url, TEST_SIGNING_SECRET, ownBlockActions({ actionId: 'change_reverted', value: 'SG-2', blockId: 'change_actions:SG-2', user: { id: 'U0CAROL01' }, container: 'view' }));
    await d.app.slack.waitForCall('chat.postMessage', (c) => c.fields.channel === 'U0CAROL01' && (c.fields.text ?? '').includes('Only the owner'));
    expect(d.app.server.ledger.get(2)?.status).toBe('open');
  });
});
