import { describe, expect, it } from 'vitest';
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
