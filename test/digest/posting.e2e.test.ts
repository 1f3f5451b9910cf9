import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebClient } from '@slack/web-api';
import { createLogger } from '../../src/log.js';
import { createDigests } from '../../src/slack/digests.js';
import { openMigratedDb } from '../../src/store/db.js';
import { DigestPostsStore } from '../../src/store/digest-posts-store.js';
import { DigestStore } from '../../src/store/digest-store.js';
import { startTestApp, TEST_BOT_TOKEN, TEST_SIGNING_SECRET, type TestApp } from '../support/app.js';
import type { RecordedCall } from '../../src/demo/fake-slack.js';
import { ownBlockActions, ownSlashCommandFields, sendInteraction, sendSlashCommand } from '../support/slack-signing.js';

const CONFIG = `
defaultChannel: C0DEFAULT1
teams:
  - name: payments
    channel: C0PAYMENTS
    match: [{ namespace: pay }]
`;

// The weekly digest through the running app, on an injected clock: once per channel per week.
describe('posting the weekly digest', () => {
  let app: TestApp;
  let clock = new Date('2026-11-30T08:00:00Z'); // Monday, an hour before the digest
  const text = (c: RecordedCall) => `${c.fields.text ?? ''}\n${JSON.stringify(c.blocks ?? '')}`;
  const digestCalls = (method: string, channel: string) => app.slack.callsTo(method).filter((c) => c.ok && c.fields.channel === channel && text(c).includes('Weekly digest'));
  const rows = () => app.server.db.prepare('SELECT channel, week, team, ts IS NOT NULL AS posted, anchor_seq AS anchorSeq FROM digest_posts ORDER BY week, channel').all();

  beforeAll(async () => {
    app = await startTestApp({ config: CONFIG, now: () => clock });
    const log = async (what: string) => {
      await sendSlashCommand(app.url, TEST_SIGNING_SECRET, ownSlashCommandFields({ text: what, user_id: 'U0ALICE01', response_url: app.slack.responseUrl(what) }));
    };
    await log('scaled deploy/ledger -n pay to 4 for INC-1');
    await log('cordoned node/ip-10-0-1-7 for INC-1');
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('posts each team\'s digest and everyone\'s once the time comes, then updates them in place on a re-run', async () => {
    expect(await app.server.digests.runDue()).toBe(2); // last week's, caught up: the bot never posted one
    expect(rows()).toEqual([
      { channel: 'C0DEFAULT1', week: '2026-W48', team: '', posted: 1, anchorSeq: 2 },
      { channel: 'C0PAYMENTS', week: '2026-W48', team: 'payments', posted: 1, anchorSeq: 2 },
    ]);
    expect(text(digestCalls('chat.postMessage', 'C0PAYMENTS')[0] as RecordedCall)).toContain('Unreconciled changes, payments');
    expect(text(digestCalls('chat.postMessage', 'C0DEFAULT1')[0] as RecordedCall)).toContain('2 open');
    // Buttons: the App Home (the app's ID asked of Slack once at start-up) and the overdue list.
    expect(text(digestCalls('chat.postMessage', 'C0DEFAULT1')[0] as RecordedCall)).toContain('https://slack.com/app_redirect?app=A0STOPGAP&team=T0FAKE');
    expect(text(digestCalls('chat.postMessage', 'C0DEFAULT1')[0] as RecordedCall)).toContain('digest_list_overdue');

    // Still last week's time: last week's message is not redrawn, whatever runs.
    clock = new Date('2026-11-30T08:30:00Z');
    expect(await app.server.digests.runDue()).toBe(0);
    expect(digestCalls('chat.update', 'C0DEFAULT1')).toHaveLength(0);
    clock = new Date('2026-11-30T09:00:00Z');
    expect(await app.server.digests.runDue()).toBe(2); // this week's
    clock = new Date('2026-11-30T09:05:00Z');
    expect(await app.server.digests.runDue()).toBe(0);
    await app.restart();
    expect(await app.server.digests.runDue()).toBe(0);
    expect(digestCalls('chat.postMessage', 'C0DEFAULT1')).toHaveLength(2);
    const updates = digestCalls('chat.update', 'C0DEFAULT1');
    expect(updates).toHaveLength(2);
    const thisWeek = app.server.db.prepare("SELECT ts FROM digest_posts WHERE channel = 'C0DEFAULT1' AND week = '2026-W49'").pluck().get();
    expect(updates.map((u) => u.fields.ts)).toEqual([thisWeek, thisWeek]);
    // The footer carries the anchor `stopgap verify --anchor` checks.
    expect(text(updates[1] as RecordedCall)).toMatch(/verify --anchor 2:[0-9a-f]{64}/);
  });

  it('posts once when two processes run the digest at the same moment', async () => {
    clock = new Date('2026-12-07T09:00:00Z');
    const db = openMigratedDb(app.dbPath);
    try {
      const other = createDigests({
        config: app.server.config,
        store: new DigestStore(db),
        posts: new DigestPostsStore(db),
        client: new WebClient(TEST_BOT_TOKEN, { slackApiUrl: app.slack.apiUrl, retryConfig: { retries: 0 } }),
        logger: createLogger({ level: 'silent', destination: new PassThrough() }),
        now: () => clock,
      });
      const posted = await Promise.all([app.server.digests.runDue(), other.runDue()]);
      expect(posted[0] + posted[1]).toBe(2);
    } finally {
      db.close();
    }
    expect(rows().filter((r) => (r as { week: string }).week === '2026-W50')).toHaveLength(2);
    expect(digestCalls('chat.postMessage', 'C0DEFAULT1')).toHaveLength(3);
  });

  it('catches up a missed month with one digest, and retries a post Slack refused', async () => {
    clock = new Date('2027-01-06T12:00:00Z'); // a Wednesday, four weeks on
    app.slack.failNext('chat.postMessage', { error: 'not_in_channel' });
    await app.server.digests.runDue();
    const weekRows = () => rows().filter((r) => (r as { week: string }).week === '2027-W01') as { channel: string; posted: number }[];
    expect(weekRows().map((r) => r.posted).sort()).toEqual([1]); // one refused, its claim released
    await app.server.digests.runDue();
    expect(weekRows().map((r) => r.posted)).toEqual([1, 1]);
    expect(rows().map((r) => (r as { week: string }).week)).not.toContain('2026-W51');
  });

  it('keeps a team\'s digest and everyone\'s apart when they share a channel', async () => {
    const shared = await startTestApp({ config: `defaultChannel: C0SHARED01\nteams:\n  - name: payments\n    channel: C0SHARED01\n    match: [{ namespace: pay }]\n`, now: () => new Date('2026-12-07T10:00:00Z') });
    try {
      expect(await shared.server.digests.runDue()).toBe(2);
      expect(await shared.server.digests.runDue()).toBe(0);
      const name = (c: RecordedCall) => /Weekly digest \(([^)]+)\)/.exec(c.fields.text ?? '')?.[1];
      expect(shared.slack.callsTo('chat.postMessage').filter((c) => c.fields.channel === 'C0SHARED01').map(name).sort()).toEqual(['everyone', 'payments']);
      expect(shared.slack.callsTo('chat.update').map(name).sort()).toEqual(['everyone', 'payments']);
    } finally {
      await shared.stop();
    }
  });

  it('answers the digest\'s "/fix list overdue" button to the person who pressed it', async () => {
    const res = await sendInteraction(app.url, TEST_SIGNING_SECRET, ownBlockActions({ actionId: 'digest_list_overdue', value: '', blockId: 'digest_actions', user: { id: 'U0BOB0001' }, responseUrl: app.slack.responseUrl('digest-overdue') }));
    expect(res.status).toBe(200);
    const answer = await app.slack.waitForCall('response_url', (c) => c.path.includes('digest-overdue'));
    expect(answer.fields.response_type).toBe('ephemeral');
    expect(text(answer)).toContain('Overdue changes');
    expect(text(answer)).toContain('deploy/ledger');
  });
});
