import { describe, expect, it } from 'vitest';
import { isWorkingTime, knownZone, localTime, nextWorkingTime, startOfWorkingDay, zonedInstant } from '../../src/nagging/working-time.js';

const WORK = { workingHours: { start: 9 * 60, end: 18 * 60 }, workingDays: ['mon', 'tue', 'wed', 'thu', 'fri'] as ('mon' | 'tue' | 'wed' | 'thu' | 'fri')[] };
const at = (iso: string) => new Date(iso);

describe('working time in the person\'s own zone', () => {
  it('knows working hours and days across zones', () => {
    // Tuesday 2026-12-01 08:30 UTC: 09:30 in Berlin (working), 00:30 in Los Angeles (not), 17:30 in Tokyo (working).
    const t = at('2026-12-01T08:30:00Z');
    expect(isWorkingTime(t, 'Europe/Berlin', WORK)).toBe(true);
    expect(isWorkingTime(t, 'America/Los_Angeles', WORK)).toBe(false);
    expect(isWorkingTime(t, 'Asia/Tokyo', WORK)).toBe(true);
    expect(isWorkingTime(at('2026-12-01T09:00:00Z'), 'Asia/Tokyo', WORK)).toBe(false); // 18:00 there: the day is over
    expect(nextWorkingTime(t, 'America/Los_Angeles', WORK).toISOString()).toBe('2026-12-01T17:00:00.000Z');
  });

  it('skips the weekend: Friday evening waits for Monday morning', () => {
    // Friday 2026-12-04 18:30 in New York (23:30 UTC) → Monday 2026-12-07 09:00 there (14:00 UTC).
    expect(nextWorkingTime(at('2026-12-04T23:30:00Z'), 'America/New_York', WORK).toISOString()).toBe('2026-12-07T14:00:00.000Z');
    // Saturday in Sydney is Friday in UTC: the person's own day counts.
    expect(isWorkingTime(at('2026-12-04T23:30:00Z'), 'Australia/Sydney', WORK)).toBe(false);
  });

  it('follows daylight saving: 09:00 is a different UTC hour either side of the change', () => {
    // Europe/Berlin leaves summer time on 2026-10-25 (Sunday). Friday 23rd: 09:00 = 07:00 UTC; Monday 26th: 08:00 UTC.
    expect(nextWorkingTime(at('2026-10-23T05:00:00Z'), 'Europe/Berlin', WORK).toISOString()).toBe('2026-10-23T07:00:00.000Z');
    expect(nextWorkingTime(at('2026-10-23T17:00:00Z'), 'Europe/Berlin', WORK).toISOString()).toBe('2026-10-26T08:00:00.000Z');
    // US spring forward, 2027-03-14 02:00 → 03:00: 02:30 that night does not exist and lands past the jump.
    expect(zonedInstant({ year: 2027, month: 3, day: 14 }, 150, 'America/New_York').toISOString()).toBe('2027-03-14T07:30:00.000Z');
    expect(localTime(at('2027-03-14T07:30:00Z'), 'America/New_York').minutes).toBe(3 * 60 + 30);
  });

  it('takes a date as the start of that person\'s working day, and an unknown zone as UTC', () => {
    expect(startOfWorkingDay({ year: 2026, month: 12, day: 7 }, 'Asia/Kolkata', WORK).toISOString()).toBe('2026-12-07T03:30:00.000Z');
    expect(knownZone('Mars/Olympus_Mons')).toBe('UTC');
    expect(knownZone(undefined)).toBe('UTC');
    expect(isWorkingTime(at('2026-12-01T10:00:00Z'), 'Mars/Olympus_Mons', WORK)).toBe(true);
  });

  it('works with a seven-day, round-the-clock schedule', () => {
    const always = { workingHours: { start: 0, end: 24 * 60 }, workingDays: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as ('sun' | 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat')[] };
    for (const iso of ['2026-12-05T23:59:59Z', '2026-12-06T00:00:00Z', '2026-12-06T12:34:56Z']) expect(isWorkingTime(at(iso), 'Pacific/Auckland', always)).toBe(true);
  });
});
