import { describe, expect, it } from 'vitest';
import { isIsoDay, parseDuration, parseIsoDay, parseIsoTimestamp } from '../../src/ledger/dates.js';
import { NOW, parse } from '../support/fix-parse.js';

describe('dates', () => {
  it('refuses impossible days instead of rolling them into the next month', () => {
    for (const day of ['2027-02-30', '2026-13-01', '2026-00-10', '2026-04-31', '2027-02-29', '2026-1-01']) {
      expect(parseIsoDay(day)).toBeUndefined();
      expect(isIsoDay(day)).toBe(false);
    }
    expect(parseIsoDay('2028-02-29')?.toISOString()).toBe('2028-02-29T00:00:00.000Z');
  });

  it('refuses impossible date-times and ones without a zone', () => {
    for (const ts of ['2027-02-30T10:00:00Z', '2026-13-01T00:00Z', '2026-06-01T24:00:00Z', '2026-06-01T10:60Z', '2026-06-01T10:00:60Z', '2026-06-01T10:00:00', '2026-06-01T10:00+24:00', 'soon']) {
      expect(parseIsoTimestamp(ts)).toBeUndefined();
    }
    expect(parseIsoTimestamp('2026-06-01T10:00:00.25+02:00')?.toISOString()).toBe('2026-06-01T08:00:00.250Z');
    expect(parseIsoTimestamp('2026-06-01t10:00z')?.toISOString()).toBe('2026-06-01T10:00:00.000Z');
  });
});

describe('parseDuration', () => {
  it('returns the end time, or undefined for nonsense', () => {
    expect(parseDuration('3d', NOW)?.toISOString()).toBe('2025-06-07T10:00:00.000Z');
    expect(parseDuration('next week', NOW)?.toISOString()).toBe('2025-06-11T10:00:00.000Z');
    expect(parseDuration('2025-06-10T09:30:00+02:00', NOW)?.toISOString()).toBe('2025-06-10T07:30:00.000Z');
    expect(parseDuration('2024-01-01', NOW)?.toISOString()).toBe('2024-01-01T00:00:00.000Z');
    expect(parseDuration('soon', NOW)).toBeUndefined();
    expect(parseDuration('-3d', NOW)).toBeUndefined();
    expect(parseDuration('', NOW)).toBeUndefined();
    expect(parseDuration('3d', new Date(Number.NaN))).toBeUndefined();
  });
});

describe('impossible dates', () => {
  it.each(['2025-06-31', '2025-13-01', '2025-02-29', '2025-06-31T10:00:00Z', '2025-06-20T24:00Z', '2025-06-20T10:60:00+02:00', '2025-06-20T10:00:00+25:00'])(
    'refuses to snooze until %s instead of rolling it over',
    (when) => {
      expect(parse(`snooze SG-5 ${when}`)).toMatchObject({ type: 'error', message: expect.stringContaining('is not a duration') });
      expect(parseDuration(when, NOW)).toBeUndefined();
    },
  );

  it('still accepts real dates and date-times', () => {
    expect(parse('snooze SG-5 2025-06-30T23:59:59.5+02:00')).toEqual({ type: 'snooze', id: 5, until: '2025-06-30T21:59:59.500Z' });
    expect(parse('snooze SG-5 2025-08-31')).toEqual({ type: 'snooze', id: 5, until: '2025-08-31T00:00:00.000Z' });
  });
});
