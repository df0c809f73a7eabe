import fc from 'fast-check';
import { CompactKeySet } from './compact-key-set';

type Key = [string, string, string?, string?];
const asText = (k: Key): string => JSON.stringify(k.filter((p) => p !== undefined));

describe('CompactKeySet: composite keys off the heap', () => {
  it('given adds, deletes and lookups in any order, then it answers as a Set of the same keys does', () => {
    const part = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('', 'é', '😀', 'a\u0000b', 'tn_bench_a', 'event:evt-1'));
    const key = fc.oneof(fc.tuple(part, part), fc.tuple(part, part, part), fc.tuple(part, part, part, part)) as fc.Arbitrary<Key>;
    const op = fc.tuple(fc.constantFrom('add', 'delete', 'has'), key);
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const set = new CompactKeySet(4);
        const model = new Set<string>();
        for (const [name, k] of ops) {
          const text = asText(k);
          if (name === 'add') expect(set.add(...k)).toBe(!model.has(text));
          if (name === 'delete') expect(set.delete(...k)).toBe(model.has(text));
          if (name === 'has') expect(set.has(...k)).toBe(model.has(text));
          if (name === 'add') model.add(text);
          if (name === 'delete') model.delete(text);
          expect(set.size).toBe(model.size);
        }
      }),
    );
  });

  it('given a range of adds between two marks, then deleting the range removes exactly the keys those adds stored', () => {
    const part = fc.constantFrom('a', 'b', 'é', 'tn_1', 'event:e');
    const key = fc.tuple(part, part, part) as fc.Arbitrary<Key>;
    const op = fc.oneof(fc.tuple(fc.constantFrom('add', 'delete'), key), fc.constant(['mark'] as const), fc.constant(['deleteRange'] as const));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const set = new CompactKeySet(4);
        // The model: each key present, with the number of the add that stored it.
        const model = new Map<string, number>();
        let adds = 0;
        let mark = { at: set.mark, adds: 0 };
        for (const o of ops) {
          if (o[0] === 'mark') mark = { at: set.mark, adds };
          else if (o[0] === 'deleteRange') {
            set.deleteRange(mark.at, set.mark);
            for (const [text, n] of [...model]) if (n >= mark.adds) model.delete(text);
            mark = { at: set.mark, adds };
          } else {
            const [name, k] = o;
            const text = asText(k);
            if (name === 'add' && set.add(...k)) model.set(text, adds++);
            if (name === 'delete') expect(set.delete(...k)).toBe(model.delete(text));
          }
          expect(set.size).toBe(model.size);
        }
        for (const text of model.keys()) expect(set.has(...(JSON.parse(text) as Key))).toBe(true);
      }),
    );
  });

  it('given parts that join alike, then they are different keys', () => {
    const set = new CompactKeySet();
    expect(set.add('a\u0000b', 'c')).toBe(true);
    expect(set.has('a', 'b\u0000c')).toBe(false);
    expect(set.has('ab', 'c')).toBe(false);
    expect(set.has('a\u0000b', 'c', '')).toBe(false);
  });

  it('given many keys, then it grows and still finds each, deleted ones excepted', () => {
    const set = new CompactKeySet(8);
    for (let i = 0; i < 50_000; i++) set.add('tn_1', `cus_${i % 997}`, `event:evt-${i}`, 'api_calls');
    for (let i = 0; i < 50_000; i += 2) set.delete('tn_1', `cus_${i % 997}`, `event:evt-${i}`, 'api_calls');
    expect(set.size).toBe(25_000);
    let found = 0;
    for (let i = 0; i < 50_000; i++) if (set.has('tn_1', `cus_${i % 997}`, `event:evt-${i}`, 'api_calls')) found += i % 2 === 1 ? 1 : 1_000_000;
    expect(found).toBe(25_000);
  });
});
