import { offsetsOf, splitBySize } from './partition-reader';

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
