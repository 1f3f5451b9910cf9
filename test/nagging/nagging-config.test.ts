import { describe, expect, it } from 'vitest';
import { naggingFor } from '../../src/config/nagging.js';
import { configFiles } from '../support/config-file.js';

const { load, problem } = configFiles();

describe('nagging: in stopgap.yml', () => {
  it('has the defaults the README names', () => {
    expect(load('').nagging).toEqual({
      firstAfter: 86_400_000,
      every: 86_400_000,
      inReviewEvery: 3 * 86_400_000,
      escalateAfter: 3,
      workingHours: { start: 540, end: 1080 },
      workingDays: ['mon', 'tue', 'wed', 'thu', 'fri'],
    });
  });

  it('reads durations down to seconds, hours, days and an escalation contact, and a team overrides keys of its own', () => {
    const config = load(`
nagging:
  firstAfter: 30s
  every: 2h
  workingHours: { start: '08:30', end: '24:00' }
  workingDays: [mon, tue, wed, thu, fri, sat]
  escalateTo: U0BOSS001
teams:
  - name: payments
    channel: C0PAYMENTS
    match: [{ namespace: pay }]
    nagging: { every: 1w, escalateAfter: 1, escalateTo: C0ESCALATE }
`);
    expect(config.nagging).toMatchObject({ firstAfter: 30_000, every: 7_200_000, workingHours: { start: 510, end: 1440 }, escalateTo: 'U0BOSS001' });
    const team = naggingFor(config.nagging, config.teams[0]?.nagging);
    expect(team).toMatchObject({ firstAfter: 30_000, every: 604_800_000, escalateAfter: 1, escalateTo: 'C0ESCALATE', workingDays: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'] });
    expect(naggingFor(config.nagging, undefined)).toBe(config.nagging);
  });

  it('says what is wrong with a bad setting, and where', () => {
    expect(problem('nagging:\n  every: daily\n')).toMatch(/nagging\.every.*'daily' is not a duration/s);
    expect(problem("nagging:\n  workingHours: { start: '18:00', end: '09:00' }\n")).toMatch(/end after they start/);
    expect(problem("nagging:\n  workingHours: { start: '9am', end: '18:00' }\n")).toMatch(/HH:MM/);
    expect(problem('nagging:\n  workingDays: [monday]\n')).toMatch(/one of sun, mon/);
    expect(problem('nagging:\n  workingDays: []\n')).toMatch(/at least one working day/);
    expect(problem('nagging:\n  workingDays: [mon, mon]\n')).toMatch(/named twice/);
    expect(problem('nagging:\n  escalateAfter: 0\n')).toMatch(/escalateAfter/);
    expect(problem('nagging:\n  escalateTo: "#sre"\n')).toMatch(/Slack user ID .* or channel ID/);
    expect(problem('nagging:\n  evrey: 1d\n')).toMatch(/evrey/);
    expect(problem('teams:\n  - name: a\n    channel: C0AAAAAAA\n    match: [{ namespace: a }]\n    nagging: { every: 0s }\n')).toMatch(/longer than zero/);
  });
});
