import { describe, expect, it } from 'vitest';
import { isIsoDay, parseIsoDay, parseIsoTimestamp } from '../../src/ledger/dates.js';
import {
  INPUT_LIMITS,
  checkLength,
  formatCount,
  hiddenCharacterIn,
  stripHiddenCharacters,
  tooLongMessage,
} from '../../src/ledger/input-limits.js';

describe('length limits', () => {
  it('says how long the value is and what the limit is, with thousands separators', () => {
    expect(tooLongMessage('reason', 2340)).toBe('The reason is 2,340 characters; the limit is 1,000. Shorten it.');
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(999)).toBe('999');
  });

  it('passes a value at the limit and refuses one past it', () => {
    for (const field of Object.keys(INPUT_LIMITS) as (keyof typeof INPUT_LIMITS)[]) {
      expect(checkLength(field, 'x'.repeat(INPUT_LIMITS[field]))).toBeUndefined();
      expect(checkLength(field, 'x'.repeat(INPUT_LIMITS[field] + 1))).toMatch(/Shorten it\.$/);
    }
  });
});

describe('hidden characters', () => {
  it('strips controls and direction marks from prose, keeping tabs and line ends', () => {
    expect(stripHiddenCharacters('a\u0000b\u0007c\u001b[31md\u007fe\u0085f\u202eg\u2066h\u2069i\u200ej\u200fk\u061cl')).toBe('abc[31mdefghijkl');
    expect(stripHiddenCharacters('line one\r\nline two\rline three\n\tindented')).toBe('line one\nline two\nline three\n\tindented');
  });

  it('names the first character that makes a name ambiguous', () => {
    expect(hiddenCharacterIn('prod-eu')).toBeUndefined();
    expect(hiddenCharacterIn('prod\u202e-eu')).toBe('U+202E');
    expect(hiddenCharacterIn('prod\u0000')).toBe('U+0000');
    expect(hiddenCharacterIn('a\tb')).toBe('U+0009');
    expect(hiddenCharacterIn('\u2067x')).toBe('U+2067');
    // Plain marks change nothing in a left-to-right name: they are stripped, not refused.
    expect(hiddenCharacterIn('prod-eu\u200e\u200f\u061c')).toBeUndefined();
  });
});

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
