import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveDuration } from '../../src/ledger/dates.js';
import { personalDays } from '../../src/nagging/working-time.js';
import { startTestApp, TEST_SIGNING_SECRET, type TestApp } from '../support/app.js';
import { logChangeStateValues, ownSlashCommandFields, ownViewSubmission, sendInteraction, sendSlashCommand } from '../support/slack-signing.js';

const WORK = { workingHours: { start: 9 * 60, end: 18 * 60 } };

describe('a date or a weekday means the start of the person\'s working day, in their zone', () => {
  // Tuesday 2026-12-01 20:00 UTC: already Wednesday 05:00 in Tokyo, still Tuesday 12:00 in Los Angeles.
  const now = new Date('2026-12-01T20:00:00Z');
  const until = (text: string, tz: string) => {
    const r = resolveDuration(text, now, personalDays(tz, WORK));
    return r.kind === 'ok' ? r.date.toISOString() : r.kind;
  };

  it('reads weekdays from the person\'s own today', () => {
    expect(until('wednesday', 'Asia/Tokyo')).toBe('2026-12-09T00:00:00.000Z'); // today is Wednesday there: a week on, 09:00
    expect(until('wednesday', 'America/Los_Angeles')).toBe('2026-12-02T17:00:00.000Z'); // tomorrow there, 09:00
    expect(until('monday', 'Europe/Berlin')).toBe('2026-12-07T08:00:00.000Z');
  });

  it('reads a date as that day\'s working start, across daylight saving', () => {
    expect(until('2026-12-07', 'Asia/Kolkata')).toBe('2026-12-07T03:30:00.000Z');
    expect(until('2027-07-05', 'Europe/Berlin')).toBe('2027-07-05T07:00:00.000Z'); // summer time
    expect(until('2027-02-30', 'Europe/Berlin')).toBe('invalid');
    // Durations and date-times with a zone say exactly when, wherever the person is.
    expect(until('3d', 'Asia/Tokyo')).toBe('2026-12-04T20:00:00.000Z');
    expect(until('2026-12-24T18:00:00+01:00', 'Asia/Tokyo')).toBe('2026-12-24T17:00:00.000Z');
  });
});

// Through Slack: the command and the form mean the same thing by a date.
describe('dates through /fix and the form', () => {
  let app: TestApp;
  const clock = new Date('2026-12-01T20:00:00Z');

  beforeAll(async () => {
    app = await startTestApp({ now: () => clock });
    app.slack.setUser('U0TOKYO01', { tz: 'Asia/Tokyo' });
    app.slack.setUser('U0LA00001', { tz: 'America/Los_Angeles' });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('snoozes to the person\'s Monday morning, asking Slack for their zone the first time', async () => {
    const logged = await sendSlashCommand(app.url, TEST_SIGNING_SECRET, ownSlashCommandFields({ text: 'scaled deploy/web -n shop to 5', user_id: 'U0TOKYO01' }));
    const id = Number(/SG-(\d+)/.exec(JSON.stringify(logged.json))?.[1]);
    const res = await sendSlashCommand(app.url, TEST_SIGNING_SECRET, ownSlashCommandFields({ text: `snooze SG-${id} monday`, user_id: 'U0TOKYO01' }));
    expect(JSON.stringify(res.json)).toContain('snoozed until');
    expect(app.server.ledger.get(id)?.snoozedUntil).toBe('2026-12-07T00:00:00.000Z'); // 09:00 Monday in Tokyo
    expect(app.slack.callsTo('users.info').filter((c) => c.fields.user === 'U0TOKYO01')).toHaveLength(1);
    // A date, the same way; the zone is not asked for again.
    await sendSlashCommand(app.url, TEST_SIGNING_SECRET, ownSlashCommandFields({ text: `snooze SG-${id} 2026-12-10`, user_id: 'U0TOKYO01' }));
    expect(app.server.ledger.get(id)?.snoozedUntil).toBe('2026-12-10T00:00:00.000Z');
    expect(app.slack.callsTo('users.info').filter((c) => c.fields.user === 'U0TOKYO01')).toHaveLength(1);
  });

  /** The "Log a change" form submitted by a person in Los Angeles. */
  const logFromForm = (description: string, resources: string, dueDate: string) =>
    sendInteraction(
      app.url,
      TEST_SIGNING_SECRET,
      ownViewSubmission({
        callbackId: 'log_change',
        privateMetadata: JSON.stringify({ channelId: 'C0INC4821', channelName: 'inc-4821-payments' }),
        user: { id: 'U0LA00001' },
        stateValues: logChangeStateValues({ description, resources, dueDate }),
      }),
    );

  it('takes the form\'s due date as the start of that working day in the person\'s zone', async () => {
    const submit = await logFromForm('cordoned node/ip-10-0-1-7', 'node/ip-10-0-1-7', '2026-12-04');
    expect(submit.status).toBe(200);
    const change = app.server.ledger.list({ scope: 'mine', user: 'U0LA00001', now: clock }).changes[0];
    expect(change?.dueAt).toBe('2026-12-04T17:00:00.000Z'); // 09:00 in Los Angeles
    // Today (12:00 there), once the working day has begun: due at its end, not overdue at once.
    await logFromForm('drained node/ip-10-0-1-8', 'node/ip-10-0-1-8', '2026-12-01');
    const today = app.server.ledger.list({ scope: 'mine', user: 'U0LA00001', now: clock }).changes.find((c) => c.description.includes('ip-10-0-1-8'));
    expect(today?.dueAt).toBe('2026-12-02T02:00:00.000Z'); // 18:00 in Los Angeles
  });
});
