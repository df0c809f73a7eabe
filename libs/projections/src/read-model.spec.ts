import fc from 'fast-check';
import type { JsonValue } from '@revstream/events';
import { jsonEqual } from './read-model';

describe('jsonEqual', () => {
  it('is JSON equality up to object key order', () => {
    expect(jsonEqual({ a: 1, b: [1, { c: null }] }, { b: [1, { c: null }], a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual({ a: null }, {})).toBe(false);
    expect(jsonEqual([], {})).toBe(false);
    expect(jsonEqual('1', 1)).toBe(false);
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        const canonical = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) =>
          x !== null && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([p], [q]) => (p < q ? -1 : p > q ? 1 : 0))) : x);
        const [x, y] = [JSON.parse(JSON.stringify(a)) as JsonValue, JSON.parse(JSON.stringify(b)) as JsonValue];
        return jsonEqual(x, y) === (canonical(x) === canonical(y)) && jsonEqual(x, JSON.parse(JSON.stringify(x)) as JsonValue);
      }),
      { numRuns: 1_000 },
    );
  });
});
