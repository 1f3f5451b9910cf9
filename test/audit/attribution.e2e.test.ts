import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listActiveFindings } from '../../src/store/findings-store.js';
import { startDriftApp, type DriftApp } from '../support/drift-app.js';
import type { RecordedCall } from '../../src/demo/fake-slack.js';
import { waitFor } from '../k8s/helpers.js';
import { desiredDeployment, liveDeployment } from '../../src/demo/kube-objects.js';
import { kubectlEvent } from '../../src/demo/kubectl-audit.js';
import { TEST_SIGNING_SECRET } from '../support/app.js';
import { logChangeStateValues, ownBlockActions, ownViewSubmission, sendInteraction } from '../support/slack-signing.js';

const TOKEN = 'attribution-token-0123456789';

// The audit log says who: Alice's audited `kubectl scale` explains the drift the watch sees, and Slack
// shows her, mapped to her Slack user, wherever the drift is shown.
describe('drift attributed to a person through the audit log', () => {
  let d: DriftApp;
  const text = (c: RecordedCall) => `${c.fields.text ?? ''}\n${JSON.stringify(c.blocks ?? '')}`;

  beforeAll(async () => {
    d = await startDriftApp({
      top: `defaultChannel: C0DRIFT001\naudit:\n  users: { alice@corp.example: U0ALICE01 }`,
      desired: [desiredDeployment({ name: 'payments-api', replicas: 3 }), desiredDeployment({ name: 'web', replicas: 2 }), desiredDeployment({ name: 'cart', replicas: 2 })],
      live: [liveDeployment({ name: 'payments-api', replicas: 3 }), liveDeployment({ name: 'web', replicas: 2 }), liveDeployment({ name: 'cart', replicas: 2 })],
      kinds: ['Deployment'],
      drift: 'unclaimedAfter: 1s',
      env: { STOPGAP_AUDIT_TOKEN: TOKEN },
    });
  });
  afterAll(async () => {
    await d?.close();
  });

  const audit = (events: unknown[]) =>
    fetch(`${d.app.url}/k8s/audit?cluster=prod-eu`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items: events }),
    });

  it('names the person on the unclaimed-drift post and in /fix show, even when the audit batch arrives after the drift', async () => {
    const at = new Date(Date.now() - 1_000).toISOString();
    // The drift first, then (as the webhook batches) the audit event.
    d.fake.put(liveDeployment({ name: 'payments-api', replicas: 3, liveReplicas: 10, scaledBy: { manager: 'kubectl', time: at } }));
    await waitFor(() => listActiveFindings(d.app.server.db, { cluster: 'prod-eu', name: 'payments-api' })[0], 'scale finding');
    expect((await audit([kubectlEvent('scale', { user: 'alice@corp.example', at, auditId: 'scale-1' })])).status).toBe(200);
    const post = await d.app.slack.waitForCall('chat.postMessage', (c) => c.fields.channel === 'C0DRIFT001' && text(c).includes('payments-api'), 8000);
    expect(text(post)).toContain('by <@U0ALICE01>');
    // And Alice is asked herself, once, with the same buttons.
    const nudge = await d.app.slack.waitForCall('chat.postMessage', (c) => c.fields.channel === 'U0ALICE01' && text(c).includes('You changed'), 8000);
    expect(text(nudge)).toContain('Deployment shop/payments-api');
    expect(text(nudge)).toContain('drift_log_it');
    expect(text(nudge)).toContain('/spec/replicas');

    expect(await d.fix('scaled deploy/payments-api -n shop to 10 for INC-7', 'U0ALICE01')).toContain('SG-1');
    await waitFor(() => d.app.server.db.prepare('SELECT change_id FROM drift_links').get(), 'linked');
    expect(await d.fix('show SG-1')).toContain('by <@U0ALICE01>');
  });

  it('shows a username without a Slack mapping as it is, and someone acting as another as both', async () => {
    const at = new Date(Date.now() - 1_000).toISOString();
    expect((await audit([{ ...kubectlEvent('scale', { user: 'system:admin', at, auditId: 'scale-2', name: 'web' }), impersonatedUser: { username: 'bob@corp.example' } }])).status).toBe(200);
    d.fake.put(liveDeployment({ name: 'web', replicas: 2, liveReplicas: 5, scaledBy: { manager: 'kubectl', time: at } }));
    const post = await d.app.slack.waitForCall('chat.postMessage', (c) => c.fields.channel === 'C0DRIFT001' && text(c).includes('Deployment shop/web'), 8000);
    expect(text(post)).toContain('by system:admin acting as bob@corp.example');
    // Nobody to ask without a Slack user; Alice's question is recorded once (the key that keeps it to one
    // DM whatever the passes since), and was sent once.
    expect(d.app.server.db.prepare('SELECT slack_user FROM drift_nudges').all()).toEqual([{ slack_user: 'U0ALICE01' }]);
    const nudges = d.app.slack.calls.filter((c) => c.method === 'chat.postMessage' && text(c).includes('You changed'));
    expect(nudges.map((c) => c.fields.channel)).toEqual(['U0ALICE01']);
  });

  it('finds a person by e-mail in Slack when audit.users does not name them, and asks them too', async () => {
    d.app.slack.setUser('U0CAROL01', { name: 'carol', email: 'carol@corp.example' });
    const at = new Date(Date.now() - 1_000).toISOString();
    expect((await audit([kubectlEvent('scale', { user: 'carol@corp.example', at, auditId: 'scale-3', name: 'cart' })])).status).toBe(200);
    d.fake.put(liveDeployment({ name: 'cart', replicas: 2, liveReplicas: 6, scaledBy: { manager: 'kubectl', time: at } }));
    // The lookup runs in the background: the message names Carol once Slack has answered.
    await d.app.slack.waitForCall('chat.update', (c) => text(c).includes('Deployment shop/cart') && text(c).includes('by <@U0CAROL01>'), 10_000).catch(async () =>
      d.app.slack.waitForCall('chat.postMessage', (c) => text(c).includes('Deployment shop/cart') && text(c).includes('by <@U0CAROL01>'), 1),
    );
    const nudge = await d.app.slack.waitForCall('chat.postMessage', (c) => c.fields.channel === 'U0CAROL01' && text(c).includes('You changed'), 10_000);
    expect(text(nudge)).toContain('Deployment shop/cart');
    expect(d.app.slack.calls.filter((c) => c.method === 'users.lookupByEmail' && c.fields.email === 'carol@corp.example')).toHaveLength(1);

    // Carol presses "Log it" in the DM: the form opens filled in, and the change she logs takes the drift.
    const value = /"value":"(drift-post:\d+)"/.exec(text(nudge))?.[1];
    const click = await sendInteraction(d.app.url, TEST_SIGNING_SECRET, ownBlockActions({ actionId: 'drift_log_it', value, blockId: 'nudge', user: { id: 'U0CAROL01' }, container: 'view' }));
    expect(click.status).toBe(200);
    const opened = await d.app.slack.waitForCall('views.open', (c) => JSON.stringify(c.view).includes('cart'));
    const view = opened.view as { private_metadata: string };
    const before = d.app.server.ledger.count();
    const submit = await sendInteraction(
      d.app.url,
      TEST_SIGNING_SECRET,
      ownViewSubmission({ callbackId: 'log_change', privateMetadata: view.private_metadata, user: { id: 'U0CAROL01' }, stateValues: logChangeStateValues({ description: 'scaled cart to 6 for the sale', resources: 'deployment/cart', namespace: 'shop', cluster: 'prod-eu' }) }),
    );
    expect(submit.status).toBe(200);
    const finding = listActiveFindings(d.app.server.db, { cluster: 'prod-eu', name: 'cart' })[0]!;
    await waitFor(() => d.app.server.db.prepare('SELECT change_id FROM drift_links WHERE finding_id = ?').get(finding.id), 'linked by Log it');
    expect(d.app.server.db.prepare('SELECT change_id, linked_by FROM drift_links WHERE finding_id = ?').get(finding.id)).toEqual({ change_id: before + 1, linked_by: 'U0CAROL01' });
  });
});
