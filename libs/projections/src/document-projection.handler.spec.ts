import fc from 'fast-check';
import { lockKey } from './document-projection.handler';

/** The reference: FNV-1a 64-bit in bigint, one character at a time (the form the lock ids were first computed in). */
function fnv1a64(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return BigInt.asIntN(64, h).toString();
}

describe('lockKey', () => {
  it('gives the same advisory lock ids as FNV-1a 64-bit in bigint', () => {
    for (const text of ['', 'a', 'billing|tn_1|customer|cus_42', 'ünïcode ☃ 😀', 'x'.repeat(500)]) expect(lockKey(text)).toBe(fnv1a64(text));
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 64 }), (text) => lockKey(text) === fnv1a64(text)), { numRuns: 2_000 });
  });
});
