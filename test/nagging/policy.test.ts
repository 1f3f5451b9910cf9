import { describe, expect, it } from 'vitest';
import { NaggingConfig } from '../../src/config/nagging.js';
import { decide, EMPTY_NAG_STATE, type NagChange, type NagState } from '../../src/nagging/policy.js';

const SETTINGS = NaggingConfig.parse({});
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

// Logged Monday 2026-11-30 10:00 UTC by someone in UTC; due a week later.
const change = (over: Partial<NagChange> = {}): NagChange => ({
  id: 1,
  status: 'open',
  owner: 'U0ALICE01',
  createdAt: '2026-11-30T10:00:00.000Z',
  updatedAt: '2026-11-30T10:00:00.000Z',
  dueAt: '2026-12-07T10:00:00.000Z',
  snoozedUntil: null,
  ...over,
});

/** Ticks every `stepMs` from `from` to `to`, applying what is due; returns what was sent and when. */
function simulate(c: NagChange, opts: { from: string; to: string; stepMs?: number; zone?: string; settings?: NaggingConfig; state?: NagState; onTick?: (now: Date, c: NagChange) => NagChange }) {
  let state = opts.state ?? EMPTY_NAG_STATE;
  let current = c;
  const sent: { at: string; slot: string }[] = [];
  for (let t = Date.parse(opts.from); t <= Date.parse(opts.to); t += opts.stepMs ?? 60_000) {
    const now = new Date(t);
    if (opts.onTick) current = opts.onTick(now, current);
    const d = decide(current, state, opts.settings ?? SETTINGS, opts.zone ?? 'UTC', now);
    for (const due of d.due) sent.push({ at: now.toISOString(), slot: due.slot });
    state = d.next;
  }
  return { sent, state };
}

describe('when an owner is reminded', () => {
  it('first a day after logging, then daily, in working hours on working days only', () => {
    const { sent } = simulate(change({ dueAt: '2026-12-31T10:00:00.000Z' }), { from: '2026-11-30T10:00:00Z', to: '2026-12-08T10:00:00Z', stepMs: 15 * 60_000 });
    expect(sent).toEqual([
      { at: '2026-12-01T10:00:00.000Z', slot: 'reminder:1' },
      { at: '2026-12-02T10:00:00.000Z', slot: 'reminder:2' },
      { at: '2026-12-03T10:00:00.000Z', slot: 'reminder:3' },
      { at: '2026-12-04T10:00:00.000Z', slot: 'unanswered:2026-11-30T10:00:00.000Z' },
      { at: '2026-12-04T10:00:00.000Z', slot: 'reminder:4' },
      // Saturday and Sunday pass; Monday 09:00 is the first working minute after the cadence came round.
      { at: '2026-12-07T09:00:00.000Z', slot: 'reminder:5' },
      { at: '2026-12-08T09:00:00.000Z', slot: 'reminder:6' },
    ]);
  });

  it('waits for the owner\'s morning in their own zone', () => {
    // Due 10:00 UTC on Tuesday is 02:00 in Los Angeles: the reminder comes at 09:00 there (17:00 UTC).
    const { sent } = simulate(change(), { from: '2026-12-01T09:00:00Z', to: '2026-12-01T23:00:00Z', zone: 'America/Los_Angeles' });
    expect(sent).toEqual([{ at: '2026-12-01T17:00:00.000Z', slot: 'reminder:1' }]);
  });

  it('sends one catch-up reminder after downtime, not one per missed day', () => {
    // The bot was down from Monday to Friday: the first tick sends one reminder and the cadence restarts from it.
    const first = decide(change({ dueAt: '2026-12-31T10:00:00.000Z' }), EMPTY_NAG_STATE, SETTINGS, 'UTC', new Date('2026-12-04T11:00:00Z'));
    expect(first.due).toEqual([{ kind: 'reminder', slot: 'reminder:1', number: 1 }]);
    expect(decide(change(), first.next, SETTINGS, 'UTC', new Date('2026-12-04T11:01:00Z')).due).toEqual([]);
    expect(decide(change({ dueAt: '2026-12-31T10:00:00.000Z' }), first.next, SETTINGS, 'UTC', new Date('2026-12-07T11:00:00Z')).due.map((d) => d.slot)).toEqual(['reminder:2']);
  });

  it('respects a snooze, and reminds when it ends', () => {
    const snoozed = change({ snoozedUntil: '2026-12-03T14:00:00.000Z', updatedAt: '2026-11-30T12:00:00.000Z', dueAt: '2026-12-31T10:00:00.000Z' });
    const { sent } = simulate(snoozed, { from: '2026-11-30T10:00:00Z', to: '2026-12-04T12:00:00Z', stepMs: 30 * 60_000 });
    expect(sent.map((s) => s.at)).toEqual(['2026-12-03T14:00:00.000Z']);
  });

  it('reminds in-review changes every three days, and closed ones never', () => {
    const review = simulate(change({ status: 'in_review', dueAt: '2026-12-31T10:00:00.000Z' }), { from: '2026-11-30T10:00:00Z', to: '2026-12-10T18:00:00Z', stepMs: 30 * 60_000 });
    expect(review.sent.filter((s) => s.slot.startsWith('reminder')).map((s) => s.at)).toEqual(['2026-12-01T10:00:00.000Z', '2026-12-04T10:00:00.000Z', '2026-12-07T10:00:00.000Z', '2026-12-10T10:00:00.000Z']);
    for (const status of ['codified', 'reverted', 'dismissed'] as const) {
      expect(simulate(change({ status, dueAt: '2026-12-01T10:00:00.000Z' }), { from: '2026-11-30T10:00:00Z', to: '2026-12-10T10:00:00Z', stepMs: HOUR }).sent).toEqual([]);
    }
  });
});

describe('when a change is escalated', () => {
  it('once when it is past its due date, again only for a new due date', () => {
    const c = change({ dueAt: '2026-12-02T10:00:00.000Z' });
    const { sent, state } = simulate(c, { from: '2026-11-30T10:00:00Z', to: '2026-12-03T10:00:00Z', stepMs: HOUR });
    expect(sent.filter((s) => s.slot.startsWith('overdue')).map((s) => s.at)).toEqual(['2026-12-02T10:00:00.000Z']);
    const moved = change({ dueAt: '2026-12-03T12:00:00.000Z', updatedAt: '2026-12-02T15:00:00.000Z' });
    expect(decide(moved, state, SETTINGS, 'UTC', new Date('2026-12-03T12:00:00Z')).due.map((d) => d.slot)).toContain('overdue:2026-12-03T12:00:00.000Z');
  });

  it('after N unanswered reminders, and an answer starts the count again', () => {
    const settings = NaggingConfig.parse({ escalateAfter: 2, every: '1h', firstAfter: '1h', workingDays: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], workingHours: { start: '00:00', end: '24:00' } });
    let answeredAt: string | undefined;
    const { sent } = simulate(change({ dueAt: '2027-01-30T10:00:00.000Z' }), {
      from: '2026-11-30T10:00:00Z',
      to: '2026-11-30T18:00:00Z',
      settings,
      onTick: (now, c) => {
        // The owner snoozes nothing but reassigns at 13:30: an action on the change answers the reminders.
        if (now.toISOString() === '2026-11-30T13:30:00.000Z') answeredAt = now.toISOString();
        return answeredAt ? { ...c, updatedAt: answeredAt } : c;
      },
    });
    expect(sent.map((s) => `${s.at.slice(11, 16)} ${s.slot.split(':')[0]}`)).toEqual([
      '11:00 reminder',
      '12:00 reminder',
      '13:00 unanswered',
      '13:00 reminder',
      '14:00 reminder',
      '15:00 reminder',
      '16:00 unanswered',
      '16:00 reminder',
      '17:00 reminder',
      '18:00 reminder',
    ]);
  });

  it('never while snoozed', () => {
    const c = change({ dueAt: '2026-12-01T10:00:00.000Z', snoozedUntil: '2026-12-09T09:00:00.000Z' });
    expect(simulate(c, { from: '2026-11-30T10:00:00Z', to: '2026-12-08T10:00:00Z', stepMs: HOUR }).sent).toEqual([]);
    expect(decide(c, EMPTY_NAG_STATE, SETTINGS, 'UTC', new Date(Date.parse('2026-12-09T09:00:00Z') + DAY)).due.map((d) => d.kind).sort()).toEqual(['escalation', 'reminder']);
  });
});
