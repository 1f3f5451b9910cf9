import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/json.js';
import { GENESIS_HASH, eventHash, eventHashOfCanonical } from '../../src/ledger/chain.js';

describe('event hashes', () => {
  it('are the same whether the data is hashed as a value or as its stored canonical JSON', () => {
    const event = fc.record({
      seq: fc.integer({ min: 1, max: 2 ** 40 }),
      changeId: fc.integer({ min: 1, max: 2 ** 31 }),
      type: fc.string(),
      actor: fc.string(),
      at: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      data: fc.jsonValue(),
    });
    fc.assert(
      fc.property(fc.oneof(fc.constant(GENESIS_HASH), fc.stringMatching(/^[0-9a-f]{64}$/)), event, (prev, e) => {
        const { data, ...meta } = e;
        expect(eventHashOfCanonical(prev, meta, canonicalJson(data))).toBe(eventHash(prev, e));
      }),
      { numRuns: 500 },
    );
  });
});
