import fc from 'fast-check';
import { Partitioners, type PartitionerArgs } from 'kafkajs';
import { murmur2, murmur2OfString, Murmur2Partitioner } from './murmur2-partitioner';

const partitions = (n: number): PartitionerArgs['partitionMetadata'] =>
  Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }));

describe('murmur2', () => {
  it("gives the values of Kafka's own test vectors (clients UtilsTest.testMurmur2)", () => {
    const cases: Array<[string, number]> = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, expected] of cases) {
      expect(murmur2(Buffer.from(key))).toBe(expected);
      expect(murmur2OfString(key)).toBe(expected);
    }
  });

  it('hashes a string as its UTF-8 bytes, ASCII or not, whatever its length', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 600 }), (key) => {
        expect(murmur2OfString(key)).toBe(murmur2(Buffer.from(key, 'utf8')));
      }),
      { numRuns: 1000 },
    );
    expect(murmur2OfString('tenant-é:cus_1')).toBe(murmur2(Buffer.from('tenant-é:cus_1', 'utf8')));
  });
});

describe('Murmur2Partitioner', () => {
  it("puts every key on the partition kafkajs's DefaultPartitioner picks", () => {
    const ours = Murmur2Partitioner();
    const theirs = Partitioners.DefaultPartitioner();
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), fc.integer({ min: 1, max: 64 }), (key, n) => {
        const args = { topic: 't', partitionMetadata: partitions(n), message: { key, value: 'v' } };
        expect(ours(args)).toBe(theirs(args));
        expect(ours({ ...args, message: { key: Buffer.from(key), value: 'v' } })).toBe(theirs(args));
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps an explicit partition, and spreads unkeyed records over the partitions', () => {
    const ours = Murmur2Partitioner();
    expect(ours({ topic: 't', partitionMetadata: partitions(6), message: { key: 'k', value: 'v', partition: 4 } })).toBe(4);
    const picked = new Set(Array.from({ length: 12 }, () => ours({ topic: 't', partitionMetadata: partitions(6), message: { value: 'v' } })));
    expect(picked.size).toBe(6);
  });
});
