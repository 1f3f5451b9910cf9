import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listActiveFindings } from '../../src/store/findings-store.js';
import { TEST_SIGNING_SECRET } from '../support/app.js';
import { startDriftApp, type DriftApp } from '../support/drift-app.js';
import type { RecordedCall } from '../../src/demo/fake-slack.js';
import { ownBlockActions, sendInteraction } from '../support/slack-signing.js';
import { waitFor } from '../k8s/helpers.js';
import { desiredDeployment, liveDeployment } from '../../src/demo/kube-objects.js';

// Two people log a change to the same Deployment at the same moment, and the scanner then sees it
// scaled: Stopgap does not guess which change it was. It asks both owners, once, and links on an answer.
describe('drift two changes explain equally well', () => {
  let d: DriftApp;
  const text = (c: RecordedCall) => `${c.fields.text ?? ''}\n${JSON.stringify(c.blocks ?? '')}`;
  const questions = () => d.app.slack.calls.filter((c) => c.method === 'chat.postMessage' && text(c).includes('Which change made it?'));

  beforeAll(async () => {
    d = await startDriftApp({ desired: [desiredDeployment({ name: 'web', replicas: 3 })], live: [liveDeployment({ name: 'web', replicas: 3 })], kinds: ['Deployment'] });
  });
  afterAll(async () => {
    await d?.close();
  });

  it('asks each candidate owner by DM with a button per change, and links nothing meanwhile', async () => {
    expect(await d.fix('scaled deploy/web -n shop up for the sale', 'U0CAROL01')).toContain('SG-1');
    expect(await d.fix('bumped deploy/web -n shop replicas', 'U0DAVE001')).toContain('SG-2');
    d.fake.put(liveDeployment({ name: 'web', replicas: 3, liveReplicas: 9, scaledBy: { manager: 'kubectl', time: new Date().toISOString() } }));
    const finding = await waitFor(() => listActiveFindings(d.app.server.db, { cluster: 'prod-eu' })[0], 'scale finding');
    await waitFor(() => questions().length === 2, 'both owners asked');
    expect(questions().map((c) => c.fields.channel).sort()).toEqual(['U0CAROL01', 'U0DAVE001']);
    const q = text(questions()[0]!);
    expect(q).toContain('fits SG-1 and SG-2 equally well');
    expect(q).toContain(`pick:${finding.id}:1`);
    expect(q).toContain(`pick:${finding.id}:2`);
    expect(d.app.server.db.prepare('SELECT count(*) AS n FROM drift_links').get()).toEqual({ n: 0 });
  });

  it('links on the answer of the change\'s owner, refuses someone else\'s, and never asks again', async () => {
    const finding = listActiveFindings(d.app.server.db, { cluster: 'prod-eu' })[0]!;
    const click = (user: string, changeId: number, responseUrl: string) =>
      sendInteraction(d.app.url, TEST_SIGNING_SECRET, ownBlockActions({ actionId: `drift_pick_change_${changeId}`, value: `pick:${finding.id}:${changeId}`, blockId: 'drift_pick', user: { id: user }, responseUrl }));
    expect((await click('U0CAROL01', 2, d.app.slack.responseUrl('pick-carol'))).status).toBe(200);
    const refused = await d.app.slack.waitForCall('response_url', (c) => c.path.endsWith('pick-carol'));
    expect(refused.fields.text).toContain("Only SG-2's owner");
    expect((await click('U0DAVE001', 2, d.app.slack.responseUrl('pick-dave'))).status).toBe(200);
    const linked = await d.app.slack.waitForCall('response_url', (c) => c.path.endsWith('pick-dave'));
    expect(linked.fields.text).toContain('to *SG-2*');
    expect(d.app.server.db.prepare('SELECT change_id, how, linked_by FROM drift_links WHERE finding_id = ?').get(finding.id)).toEqual({ change_id: 2, how: 'claimed', linked_by: 'U0DAVE001' });

    // A restart sweeps every unlinked finding again; the question is not sent twice (it is linked now,
    // and the record of asking survives in any case).
    await d.app.restart();
    await waitFor(() => (d.app.logs().match(/stopgap started/g)?.length ?? 0) >= 2, 'restarted');
    expect(questions()).toHaveLength(2);
    expect(d.app.server.db.prepare('SELECT finding_id, change_ids FROM drift_questions').all()).toEqual([{ finding_id: finding.id, change_ids: '[1,2]' }]);
  });
});
