import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, TEST_SIGNING_SECRET, type TestApp } from '../support/app.js';
import type { RecordedCall } from '../../src/demo/fake-slack.js';
import { ownBlockActions, ownSlashCommandFields, ownViewSubmission, sendInteraction, sendSlashCommand } from '../support/slack-signing.js';

// Every action on a reminder DM, as signed interactivity requests: what `/fix` does, with its checks,
// applied once, and the DM redrawn in place.
describe('the reminder DM\'s buttons and menus', () => {
  let app: TestApp;
  let clock = new Date('2026-11-30T08:00:00Z'); // Monday, 09:00 in Berlin
  const text = (c: RecordedCall) => `${c.fields.text ?? ''}\n${JSON.stringify(c.blocks ?? '')}`;
  const change = (id: number) => app.server.ledger.get(id);
  const events = (id: number) => app.server.db.prepare('SELECT type, actor FROM change_events WHERE change_id = ? ORDER BY seq').all(id) as { type: string; actor: string }[];

  /** Logs a change as `user`, waits for its first reminder DM, and returns the change and that DM. */
  async function remindedChange(user: string, what: string): Promise<{ id: number; dm: RecordedCall }> {
    const res = await sendSlashCommand(app.url, TEST_SIGNING_SECRET, ownSlashCommandFields({ text: what, user_id: user, response_url: app.slack.responseUrl(`r-${what.length}`) }));
    const id = Number(/SG-(\d+)/.exec(JSON.stringify(res.json))?.[1]);
    await app.slack.waitForCall('chat.postMessage', (c) => c.fields.channel !== user && text(c).includes(`SG-${id} `));
    // A day later, on a working day (the weekend has no reminders).
    do clock = new Date(clock.getTime() + 24 * 3_600_000);
    while (clock.getUTCDay() === 0 || clock.getUTCDay() === 6);
    await app.server.reminders.tick();
    await app.server.reminders.send();
    const dm = await app.slack.waitForCall('chat.postMessage', (c) => c.ok && c.fields.channel === user && text(c).includes(`SG-${id}`) && text(c).includes('reminder_head'));
    return { id, dm };
  }
  /** A click on the DM's actions, as Slack sends it: the message as posted, in the DM channel it landed in. */
  const click = (dm: RecordedCall, user: string, actionId: string, extra: { value?: string; element?: Record<string, unknown>; triggerId?: string } = {}) => {
    const blocks = dm.blocks as { type: string; block_id?: string }[];
    const actions = blocks.find((b) => b.type === 'actions');
    const answer = dm.json as { channel?: string } | undefined;
    return sendInteraction(
      app.url,
      TEST_SIGNING_SECRET,
      ownBlockActions({
        actionId,
        blockId: actions?.block_id,
        user: { id: user },
        channel: { id: answer?.channel ?? `D${user.slice(1)}` },
        messageTs: '1796000000.000100',
        messageBlocks: blocks,
        responseUrl: app.slack.responseUrl(`click-${actionId}`),
        ...extra,
      }),
    );
  };
  const updates = () => app.slack.callsTo('chat.update').filter((c) => c.fields.ts === '1796000000.000100');

  beforeAll(async () => {
    app = await startTestApp({ config: 'defaultChannel: C0DEFAULT1\nnagging: { firstAfter: 1d }\n', now: () => clock });
    app.slack.setUser('U0ALICE01', { tz: 'Europe/Berlin' });
    app.slack.setUser('U0BOB0001', { tz: 'Europe/Berlin' });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('snoozes from the menu, once however often Slack delivers the click, and redraws the DM', async () => {
    const { id, dm } = await remindedChange('U0ALICE01', 'scaled deploy/web -n shop to 5 for INC-1');
    const element = { type: 'static_select', selected_option: { value: `SG-${id} 3d`, text: { type: 'plain_text', text: '3 days' } } };
    const first = await click(dm, 'U0ALICE01', 'change_snooze', { element, triggerId: 'trig-snooze-1' });
    expect(first.status).toBe(200);
    const again = await click(dm, 'U0ALICE01', 'change_snooze', { element, triggerId: 'trig-snooze-1' });
    expect(again.status).toBe(200);
    expect(change(id)?.snoozedUntil).toBe(new Date(clock.getTime() + 3 * 86_400_000).toISOString());
    expect(events(id).filter((e) => e.type === 'snoozed')).toHaveLength(1);
    const redrawn = await app.slack.waitForCall('chat.update', (c) => text(c).includes(`SG-${id} is snoozed until`));
    expect(text(redrawn)).toContain('reminder_head');
    expect(text(redrawn)).toContain('(<@U0ALICE01>)');
    expect(text(redrawn)).toContain('change_reverted'); // still open: the actions stay
  });

  it('refuses someone who may not act on the change, and changes nothing', async () => {
    const { id, dm } = await remindedChange('U0ALICE01', 'bumped memory on sts/db -n data to 4Gi for INC-2');
    const before = updates().length;
    const res = await click(dm, 'U0MALLORY', 'change_reverted', { value: `SG-${id}` });
    expect(res.status).toBe(200);
    const refusal = await app.slack.waitForCall('response_url', (c) => c.path.includes('click-change_reverted') && (c.fields.text ?? '').includes('Only the owner'));
    expect(refusal.fields.text).toContain(`SG-${id}`);
    expect(change(id)?.status).toBe('open');
    expect(updates().length).toBe(before);
  });

  it('reassigns from the user picker: the new owner is told, and the reminders follow them', async () => {
    const { id, dm } = await remindedChange('U0ALICE01', 'cordoned node/ip-10-0-1-7 for INC-3');
    const res = await click(dm, 'U0ALICE01', 'change_reassign', { element: { type: 'users_select', selected_user: 'U0BOB0001' } });
    expect(res.status).toBe(200);
    expect(change(id)?.owner).toBe('U0BOB0001');
    const told = await app.slack.waitForCall('chat.postMessage', (c) => c.fields.channel === 'U0BOB0001' && text(c).includes(`made you the owner of SG-${id}`));
    expect(text(told)).toContain('<@U0ALICE01>');
    await app.slack.waitForCall('chat.update', (c) => text(c).includes(`SG-${id} now belongs to <@U0BOB0001>`));
    clock = new Date(clock.getTime() + 24 * 3_600_000); // the next reminder is due a day later
    await app.server.reminders.tick();
    await app.server.reminders.send();
    await app.slack.waitForCall('chat.postMessage', (c) => c.ok && c.fields.channel === 'U0BOB0001' && text(c).includes('reminder_head') && text(c).includes(`SG-${id}`));
  });

  it('snoozes to a picked date: the start of the person\'s working day in their own zone', async () => {
    const { id, dm } = await remindedChange('U0ALICE01', 'rolled back deploy/checkout -n shop to 0.9.7 for INC-4');
    await click(dm, 'U0ALICE01', 'change_snooze', { element: { type: 'static_select', selected_option: { value: `SG-${id} date`, text: { type: 'plain_text', text: 'Pick a date…' } } } });
    const opened = await app.slack.waitForCall('views.open', (c) => JSON.stringify(c.view).includes(`Snooze SG-${id}`));
    const view = opened.view as { private_metadata: string; blocks: { element?: { type?: string } }[] };
    expect(view.blocks[0]?.element?.type).toBe('datepicker');
    const submit = await sendInteraction(
      app.url,
      TEST_SIGNING_SECRET,
      ownViewSubmission({ callbackId: 'change_action', privateMetadata: view.private_metadata, user: { id: 'U0ALICE01' }, stateValues: { input: { value: { type: 'datepicker', selected_date: '2027-01-04' } } } }),
    );
    expect(submit.status).toBe(200);
    // 09:00 in Berlin on 4 January is 08:00 UTC.
    expect(change(id)?.snoozedUntil).toBe('2027-01-04T08:00:00.000Z');
    await app.slack.waitForCall('chat.update', (c) => text(c).includes(`SG-${id} is snoozed until`) && text(c).includes('reminder_head'));
    // A day in the past is refused in the form, and nothing changes.
    const past = await sendInteraction(
      app.url,
      TEST_SIGNING_SECRET,
      ownViewSubmission({ callbackId: 'change_action', privateMetadata: view.private_metadata, user: { id: 'U0ALICE01' }, stateValues: { input: { value: { type: 'datepicker', selected_date: '2020-01-01' } } } }),
    );
    expect(JSON.stringify(past.json)).toContain('must end in the future');
    expect(change(id)?.snoozedUntil).toBe('2027-01-04T08:00:00.000Z');
  });

  it('marks codified through the PR form and reverted at once; a closed change\'s DM loses its actions', async () => {
    const { id, dm } = await remindedChange('U0ALICE01', 'edited configmap/app-config -n shop LOG_LEVEL=debug for INC-5');
    await click(dm, 'U0ALICE01', 'change_codified', { value: `SG-${id}` });
    const opened = await app.slack.waitForCall('views.open', (c) => JSON.stringify(c.view).includes(`Codified SG-${id}`));
    await sendInteraction(
      app.url,
      TEST_SIGNING_SECRET,
      ownViewSubmission({ callbackId: 'change_action', privateMetadata: (opened.view as { private_metadata: string }).private_metadata, user: { id: 'U0ALICE01' }, stateValues: { input: { value: { type: 'url_text_input', value: 'https://github.com/acme/infra/pull/42' } } } }),
    );
    expect(change(id)).toMatchObject({ status: 'codified', prUrl: 'https://github.com/acme/infra/pull/42' });
    const redrawn = await app.slack.waitForCall('chat.update', (c) => text(c).includes(`SG-${id} is marked codified`));
    expect(text(redrawn)).not.toContain('change_reverted');

    const other = await remindedChange('U0BOB0001', 'scaled deploy/cart -n shop to 6 for INC-6');
    await click(other.dm, 'U0BOB0001', 'change_reverted', { value: `SG-${other.id}` });
    expect(change(other.id)?.status).toBe('reverted');
    const closed = await app.slack.waitForCall('chat.update', (c) => text(c).includes(`SG-${other.id} is marked reverted`));
    expect(text(closed)).not.toContain('change_snooze');
  });
});
