import fc from 'fast-check';
import type { JsonValue } from '@revstream/events';
import { jsonEqual, ReadModelDiff, type ReadModelTable, type Row } from './read-model';

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

describe('ReadModelDiff (replace tables)', () => {
  const table: ReadModelTable = { name: 'items', mode: 'replace', columns: { doc: 'text', item: 'integer', qty: 'bigint', tags: 'jsonb' }, primaryKey: ['doc', 'item'] };
  const rowsOf = (doc: string, items: ReadonlyArray<[number, number]>): Row[] => items.map(([item, qty]) => ({ doc, item, qty, tags: [qty % 3] }));
  const itemList = fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 3 })), { selector: ([item]) => item, maxLength: 40 });

  it('upserts new and changed rows and deletes the rows a document stopped rendering, for short and long row lists alike', () => {
    fc.assert(
      fc.property(itemList, itemList, (before, after) => {
        const diff = new ReadModelDiff([table]);
        diff.add({ items: rowsOf('d1', before) }, { items: rowsOf('d1', after) });
        const { upserts, deletes } = diff.changesTo('items');
        const old = new Map(before);
        const expectedUpserts = after.filter(([item, qty]) => old.get(item) !== qty).map(([item]) => item).sort((a, b) => a - b);
        const kept = new Set(after.map(([item]) => item));
        const expectedDeletes = before.filter(([item]) => !kept.has(item)).map(([item]) => item).sort((a, b) => a - b);
        expect(upserts.map((r) => r.item as number).sort((a, b) => a - b)).toEqual(expectedUpserts);
        expect(deletes.map((r) => r.item as number).sort((a, b) => a - b)).toEqual(expectedDeletes);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a document that renders one primary key twice, in a short or a long list', () => {
    for (const length of [2, 30]) {
      const rows = rowsOf('d1', Array.from({ length }, (_, i): [number, number] => [i, 1]));
      rows.push({ ...rows[0]! });
      expect(() => new ReadModelDiff([table]).add({}, { items: rows })).toThrow('one document rendered two rows with primary key ["d1",0]');
    }
  });

  it('refuses two documents that render the same primary key', () => {
    const diff = new ReadModelDiff([table]);
    diff.add({}, { items: rowsOf('d1', [[1, 1]]) });
    expect(() => diff.add({}, { items: rowsOf('d1', [[1, 2]]) })).toThrow('two documents rendered rows with primary key ["d1",1]');
  });
});
