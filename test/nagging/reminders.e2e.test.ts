import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebClient } from '@slack/web-api';
import { startTestApp, TEST_BOT_TOKEN, TEST_SIGNING_SECRET, type TestApp } from '../support/app.js';
import type { RecordedCall } from '../../src/demo/fake-slack.js';
import { ownSlashCommandFields, sendSlashCommand } from '../support/slack-signing.js';
import { openMigratedDb } from '../../src/store/db.js';
import { NagStore } from '../../src/store/nag-store.js';
import { LedgerStore } from '../../src/store/ledger-store.js';
import { LinksStore } from '../../src/store/links-store.js';
import { createReminders } from '../../src/slack/reminders.js';
import { createZones } from '../../src/slack/zones.js';
import { createLogger } from '../../src/log.js';
import { PassThrough } from 'node:stream';

const CONFIG = `
defaultChannel: C0DEFAULT1
nagging:
  firstAfter: 1d
  every: 1d
  escalateAfter: 2
teams:
  - name: payments
    channel: C0PAYMENTS
    match: [{ namespace: pay }]
    nagging: { escalateTo: U0BOSS001 }
`;

// Reminders and escalations through the running app, a week of simulated time on an injected clock.
describe('reminders and escalations', () => {
  let app: TestApp;
  let clock = new Date('2026-11-30T10:00:00Z'); // a Monday
  const at = (iso: string) => (clock = new Date(iso));
  const text = (c: RecordedCall) => `${c.fields.text ?? ''}\n${JSON.stringify(c.blocks ?? '')}`;
  /** Messages Slack accepted. */
  const posts = (to: string, contains = '') => app.slack.callsTo('chat.postMessage').filter((c) => c.ok && c.fields.channel === to && text(c).includes(contains));
  const outbox = () => app.server.db.prepare('SELECT change_id AS changeId, kind, slot, recipient, state, attempts, error FROM outbox ORDER BY id').all() as { changeId: number; kind: string; slot: string; recipient: string; state: string; attempts: number; error: string | null }[];
  const log = async (user: string, what: string) => {
    const res = await sendSlashCommand(app.url, TEST_SIGNING_SECRET, ownSlashCommandFields({ text: what, user_id: user, response_url: app.slack.responseUrl(`r-${user}`) }));
    expect(res.status).toBe(200);
    const key = /SG-(\d+)/.exec(JSON.stringify(res.json))?.[1];
    expect(key).toBeDefined();
    // The channel announcement follows the answer: let it land before the test fails Slack on purpose.
    await app.slack.waitForCall('chat.postMessage', (c) => c.fields.channel !== user && text(c).includes(`SG-${key} `));
    return Number(key);
  };
  const tickAndSend = async () => {
    const added = await app.server.reminders.tick();
    const sent = await app.server.reminders.send();
    return { added, sent };
  };

  beforeAll(async () => {
    app = await startTestApp({ config: CONFIG, now: () => clock });
    app.slack.setUser('U0ALICE01', { tz: 'Europe/Berlin' });
    app.slack.setUser('U0BOB0001', { tz: 'America/Los_Angeles' });
    app.slack.setUser('U0TOKYO01', { tz: 'Asia/Tokyo' });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('reminds the owner a day after logging, in their working hours, once per slot however often it ticks', async () => {
    at('2026-11-30T10:00:00Z');
    const id = await log('U0TOKYO01', 'scaled deploy/web -n shop to 5 for INC-1');
    at('2026-12-01T10:00:00Z'); // a day later, but 19:00 in Tokyo: after working hours
    expect(await tickAndSend()).toEqual({ added: 0, sent: 0 });
    expect(app.slack.callsTo('users.info').map((c) => c.fields.user)).toContain('U0TOKYO01');
    at('2026-12-01T23:59:00Z');
    expect(await tickAndSend()).toEqual({ added: 0, sent: 0 });
    at('2026-12-02T00:00:00Z'); // 09:00 on Wednesday in Tokyo
    expect(await tickAndSend()).toEqual({ added: 1, sent: 1 });
    const [dm] = posts('U0TOKYO01', 'Reminder');
    expect(dm).toBeDefined();
    expect(text(dm as RecordedCall)).toContain(`SG-${id}`);
    expect(text(dm as RecordedCall)).toContain('change_codified');
    expect(text(dm as RecordedCall)).toContain('scaled deploy/web');
    // Ticking again, or twice at once, adds nothing.
    expect(await tickAndSend()).toEqual({ added: 0, sent: 0 });
    const racing = await Promise.all([app.server.reminders.tick(), app.server.reminders.tick()]);
    expect(racing).toEqual([0, 0]);
    expect(posts('U0TOKYO01', 'Reminder')).toHaveLength(1);
    expect(outbox().filter((r) => r.changeId === id)).toEqual([{ changeId: id, kind: 'reminder', slot: 'reminder:1', recipient: 'U0TOKYO01', state: 'sent', attempts: 1, error: null }]);
  });

  it('waits as a 429 says, retries a 500 with backoff, and escalates a DM Slack refuses for good', async () => {
    at('2026-12-01T10:00:00Z');
    const id = await log('U0BOB0001', 'cordoned node/ip-10-0-1-7 for INC-2');
    at('2026-12-02T17:00:00Z'); // 09:00 in Los Angeles
    const before = app.slack.callsTo('chat.postMessage').length;
    app.slack.failNext('chat.postMessage', { retryAfter: 3 });
    const first = await tickAndSend();
    expect(first.sent).toBe(0); // the first message tried was refused with a 429: the sender stops
    expect(app.server.reminders.pausedUntil()).toBe(clock.getTime() + 3_000);
    const calls = app.slack.callsTo('chat.postMessage').length;
    expect(await app.server.reminders.send()).toBe(0);
    expect(app.slack.callsTo('chat.postMessage').length).toBe(calls); // nothing sent while told to wait
    at('2026-12-02T17:00:03Z');
    app.slack.failNext('chat.postMessage', { status: 500 });
    expect(await app.server.reminders.send()).toBe(0);
    expect(outbox().find((r) => r.changeId === id)).toMatchObject({ state: 'pending', attempts: 2, error: 'http_500' });
    at('2026-12-02T17:00:20Z');
    expect(await app.server.reminders.send()).toBe(0); // the backoff is 30 s
    at('2026-12-02T17:00:33Z');
    expect(await app.server.reminders.send()).toBe(1);
    expect(posts('U0BOB0001', 'Reminder')).toHaveLength(1);
    // The 429, the 500, then Bob's reminder (in Tokyo it is 02:00: that owner's second one waits).
    expect(app.slack.callsTo('chat.postMessage').length - before).toBe(3);

    // Bob leaves the company: his next reminder cannot be delivered, so his team hears instead.
    at('2026-12-03T17:00:00Z');
    let ts = 0;
    app.slack.respondWith('chat.postMessage', (c) =>
      c.fields.channel === 'U0BOB0001' ? { ok: false, error: 'user_disabled' } : { ok: true, channel: c.fields.channel, ts: `1796400000.${String(++ts).padStart(6, '0')}` },
    );
    await app.server.reminders.tick();
    await app.server.reminders.send();
    expect(outbox().find((r) => r.changeId === id && r.slot === 'reminder:2')).toMatchObject({ state: 'failed', error: 'user_disabled' });
    const escalated = posts('C0DEFAULT1', `SG-${id}`);
    expect(escalated.map((c) => c.fields.text)).toEqual([expect.stringContaining('could not be sent to its owner')]);
    // The next day's reminder fails too, and is recorded; the team is not told it again (only, now, that
    // two reminders went unanswered).
    at('2026-12-04T17:00:00Z');
    await app.server.reminders.tick();
    await app.server.reminders.send();
    expect(outbox().find((r) => r.changeId === id && r.slot === 'reminder:3')).toMatchObject({ state: 'failed', error: 'user_disabled' });
    expect(posts('C0DEFAULT1', `SG-${id}`).map((c) => c.fields.text)).toEqual([expect.stringContaining('could not be sent to its owner'), expect.stringContaining('2 unanswered reminders')]);
  });

  it('escalates after unanswered reminders to the team and its contact, and when overdue; an action answers them', async () => {
    at('2026-12-07T08:00:00Z'); // Monday, 09:00 in Berlin
    const id = await log('U0ALICE01', 'bumped memory on sts/ledger -n pay to 4Gi for INC-3');
    for (const day of ['2026-12-08', '2026-12-09']) {
      at(`${day}T08:00:00Z`);
      await tickAndSend();
    }
    expect(posts('U0ALICE01', `SG-${id}`)).toHaveLength(2);
    expect(posts('C0PAYMENTS', `SG-${id}`)).toHaveLength(0);
    at('2026-12-10T08:00:00Z');
    await tickAndSend();
    expect(posts('C0PAYMENTS', `SG-${id}`).map((c) => c.fields.text)).toEqual([expect.stringContaining('has 2 unanswered reminders')]);
    expect(posts('U0BOSS001', `SG-${id}`)).toHaveLength(1);
    // Alice snoozes it: the reminders are answered, and nothing comes until the snooze ends.
    const snoozed = await sendSlashCommand(app.url, TEST_SIGNING_SECRET, ownSlashCommandFields({ text: `snooze SG-${id} 2d`, user_id: 'U0ALICE01' }));
    expect(JSON.stringify(snoozed.json)).toMatch(/[Ss]noozed/);
    at('2026-12-11T08:00:00Z');
    await tickAndSend();
    expect(posts('U0ALICE01', `SG-${id}`)).toHaveLength(3);
    // Due a week after logging: the overdue escalation comes once the snooze is over.
    at('2026-12-14T08:00:00Z');
    await tickAndSend();
    expect(posts('C0PAYMENTS', `SG-${id}`).map((c) => c.fields.text)).toEqual([expect.stringContaining('unanswered'), expect.stringContaining('is overdue')]);
    at('2026-12-14T09:00:00Z');
    await tickAndSend();
    expect(posts('C0PAYMENTS', `SG-${id}`)).toHaveLength(2);
  });

  it('sends nothing about a change closed before its reminder went out, and a reminder queued before a restart is sent once after it', async () => {
    at('2026-12-14T08:00:00Z');
    const closed = await log('U0ALICE01', 'edited configmap/app-config -n shop LOG_LEVEL=debug for INC-4');
    const kept = await log('U0ALICE01', 'scaled deploy/api -n shop to 9 for INC-4');
    at('2026-12-15T08:00:00Z');
    await app.server.reminders.tick();
    expect(outbox().filter((r) => r.changeId === closed || r.changeId === kept).map((r) => r.state)).toEqual(['pending', 'pending']);
    await sendSlashCommand(app.url, TEST_SIGNING_SECRET, ownSlashCommandFields({ text: `reverted SG-${closed}`, user_id: 'U0ALICE01' }));
    // The process stops between deciding and sending; the next one sends what was decided.
    await app.restart();
    await app.server.reminders.send();
    await app.server.reminders.tick();
    await app.server.reminders.send();
    expect(posts('U0ALICE01', `SG-${closed}`)).toHaveLength(0);
    expect(posts('U0ALICE01', `SG-${kept}`).filter((c) => text(c).includes('Reminder'))).toHaveLength(1);
    expect(outbox().find((r) => r.changeId === closed)).toMatchObject({ state: 'skipped' });
  });

  it('never sends twice when two processes tick and send from the same database at once', async () => {
    at('2026-12-15T08:00:00Z');
    const id = await log('U0ALICE01', 'rolled back deploy/checkout -n shop to 0.9.7 for INC-5');
    at('2026-12-16T08:00:00Z');
    // A second process's connection to the same database file, with its own Slack client.
    const db = openMigratedDb(app.dbPath);
    try {
      const ledger = new LedgerStore(db);
      const store = new NagStore(db);
      const client = new WebClient(TEST_BOT_TOKEN, { slackApiUrl: app.slack.apiUrl, retryConfig: { retries: 0 } });
      const logger = createLogger({ level: 'silent', destination: new PassThrough() });
      const other = createReminders({
        config: app.server.config,
        store,
        zones: createZones({ store, client, logger }),
        ledger,
        links: new LinksStore(db, ledger),
        logger,
        now: () => clock,
        client,
      });
      const added = await Promise.all([app.server.reminders.tick(), other.tick()]);
      expect(added.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      await Promise.all([app.server.reminders.send(), other.send()]);
    } finally {
      db.close();
    }
    expect(posts('U0ALICE01', `SG-${id}`)).toHaveLength(1);
  });
});
