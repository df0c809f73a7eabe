import { offsetsOf, prefixOf, rebuildOrder, splitBySize } from './partition-reader';

const ranges = (entries: Array<[string, number, bigint]>) => offsetsOf(entries.map(([topic, partition, offset]) => ({ topic, partition, offset })));

describe('splitBySize: a rebuild reads its short partitions first', () => {
  it('puts partitions with at most the limit left before the others, and leaves out those with nothing left', () => {
    const from = ranges([
      ['raw.revnu', 0, 999n],
      ['raw.revnu', 2, 49n],
    ]);
    const to = ranges([
      ['raw.revnu', 0, 999n], // nothing left
      ['raw.revnu', 1, 99n], // 100 left, from the beginning
      ['raw.revnu', 2, 150n], // 101 left after its checkpoint
      ['raw.valued', 0, 4n], // 5 left
      ['catalog', 0, 100n], // 101 left
    ]);
    expect(splitBySize(from, to, 100)).toEqual([
      ranges([
        ['raw.revnu', 1, 99n],
        ['raw.valued', 0, 4n],
      ]),
      ranges([
        ['raw.revnu', 2, 150n],
        ['catalog', 0, 100n],
      ]),
    ]);
  });

  it('returns one part when every partition is short or every one is long, and none when nothing is left', () => {
    const to = ranges([
      ['raw.revnu', 0, 9n],
      ['raw.revnu', 1, 19n],
    ]);
    expect(splitBySize(new Map(), to, 100)).toEqual([to]);
    expect(splitBySize(new Map(), to, 5)).toEqual([to]);
    expect(splitBySize(to, to, 100)).toEqual([]);
  });
});

describe('rebuildOrder: configuration, then short partitions, then long ones', () => {
  it('splits into tiers by the records left: at most a hundredth of a transaction, at most one, more', () => {
    const to = ranges([
      ['raw.revnu', 0, 149_999n], // 150,000: long
      ['raw.revenium', 0, 17_999n], // 18,000: short
      ['raw.valued', 0, 329n], // 330: tiny
      ['catalog', 0, 999n], // 1,000: tiny (the bound is included)
      ['catalog', 1, 1_000n], // 1,001: short
    ]);
    expect(rebuildOrder(new Map(), to, 100_000)).toEqual([
      ranges([
        ['raw.valued', 0, 329n],
        ['catalog', 0, 999n],
      ]),
      ranges([
        ['raw.revenium', 0, 17_999n],
        ['catalog', 1, 1_000n],
      ]),
      ranges([['raw.revnu', 0, 149_999n]]),
    ]);
  });

  it('leaves out empty tiers, and gives every partition a tier of its own size even with a transaction of one record', () => {
    const to = ranges([
      ['raw.revnu', 0, 0n],
      ['raw.revnu', 1, 5n],
    ]);
    expect(rebuildOrder(new Map(), to, 1)).toEqual([ranges([['raw.revnu', 0, 0n]]), ranges([['raw.revnu', 1, 5n]])]);
    expect(splitBySize(new Map(), to, 1, 1)).toEqual([ranges([['raw.revnu', 0, 0n]]), ranges([['raw.revnu', 1, 5n]])]);
  });
});

describe('prefixOf: the part of a rebuild its bulk phase covers', () => {
  it('cuts every partition at the same fraction of what it has left, at most the limit in all', () => {
    const from = ranges([['raw.revnu', 1, 99n]]);
    const to = ranges([
      ['raw.revnu', 0, 599n], // 600 left
      ['raw.revnu', 1, 399n], // 300 left after its checkpoint
      ['raw.valued', 0, 99n], // 100 left
    ]);
    expect(prefixOf(from, to, 500)).toEqual(
      ranges([
        ['raw.revnu', 0, 299n], // 300 of 600
        ['raw.revnu', 1, 249n], // 150 of 300
        ['raw.valued', 0, 49n], // 50 of 100
      ]),
    );
  });

  it('takes the partitions with at most `whole` records left whole, and shares the rest of the limit among the others', () => {
    const to = ranges([
      ['raw.valued', 0, 99n], // 100 left: whole
      ['raw.revnu', 0, 999n], // 1,000 left
      ['raw.revnu', 1, 1_999n], // 2,000 left
    ]);
    expect(prefixOf(new Map(), to, 400, 100)).toEqual(
      ranges([
        ['raw.valued', 0, 99n],
        ['raw.revnu', 0, 99n], // 100 of 1,000
        ['raw.revnu', 1, 199n], // 200 of 2,000
      ]),
    );
  });

  it('is the whole range when it fits, and no further than the checkpoints with a limit of 0', () => {
    const to = ranges([
      ['raw.revnu', 0, 9n],
      ['raw.revnu', 1, 19n],
    ]);
    expect(prefixOf(new Map(), to, 30)).toBe(to);
    expect(prefixOf(new Map(), to, 0)).toEqual(ranges([
      ['raw.revnu', 0, -1n],
      ['raw.revnu', 1, -1n],
    ]));
  });
});
