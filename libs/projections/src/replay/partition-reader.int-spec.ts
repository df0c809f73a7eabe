import { Kafka, logLevel } from 'kafkajs';
import { EventPublisher } from '@revstream/kafka';
import { type LogRecord, offsetsOf, readRange } from '@revstream/projections';
import { isolatedStack, type IsolatedStack } from '@revstream/testing';

/**
 * readRange against the real broker: its fetching thread (partition-fetch.worker.js) packs what it
 * fetches into one buffer per batch, and the main thread hands the records over exactly as they are
 * in the log, offset ranges exact, tombstones and keyless records included.
 */
describe('readRange: exact offset ranges, fetched on a thread of its own', () => {
  let stack: IsolatedStack;
  let publisher: EventPublisher;
  let topic: string;
  const seen = (r: LogRecord): { offset: string; key: string | null; value: string | null } => ({
    offset: r.offset,
    key: r.key === null ? null : r.key.toString(),
    value: r.value === null ? null : r.value.toString(),
  });

  beforeAll(async () => {
    stack = await isolatedStack('partition reader', { partitions: 2 });
    publisher = new EventPublisher(stack.kafka, stack.topics, { publishTimeoutMs: 30_000, maxRecordsPerRequest: 5_000, compression: 'none' });
    topic = stack.topics.name('raw.revnu');
    // Partition 0: 1,200 records (a tombstone at 7, a keyless record at 8, multi-byte text at 9); partition 1: 3.
    const records: Array<{ topic: string; message: { partition: number; key: string | null; value: string | null } }> = [];
    for (let i = 0; i < 1_200; i++) {
      records.push({ topic, message: { partition: 0, key: i === 8 ? null : `k${i}`, value: i === 7 ? null : i === 9 ? 'zoë – ✓' : `v${i}` } });
    }
    for (let i = 0; i < 3; i++) records.push({ topic, message: { partition: 1, key: `p1-${i}`, value: `w${i}` } });
    await publisher.publishRecords(records);
  });

  afterAll(async () => {
    await publisher.disconnect();
    await stack.cleanup();
  });

  it('hands over every record after `from` up to `to`, in order, keys and values as written', async () => {
    const got = new Map<number, ReturnType<typeof seen>[]>();
    const calls: number[] = [];
    await readRange({
      kafka: stack.kafka,
      from: offsetsOf([{ topic, partition: 0, offset: 4n }]),
      to: offsetsOf([
        { topic, partition: 0, offset: 1_100n },
        { topic, partition: 1, offset: 2n },
      ]),
      maxRecordsPerCall: 250,
      onRecords: async (t, partition, records) => {
        expect(t).toBe(topic);
        calls.push(records.length);
        got.set(partition, [...(got.get(partition) ?? []), ...records.map(seen)]);
      },
    });
    const p0 = got.get(0)!;
    expect(p0.map((r) => r.offset)).toEqual(Array.from({ length: 1_096 }, (_, i) => String(i + 5)));
    expect(p0.slice(0, 6)).toEqual([
      { offset: '5', key: 'k5', value: 'v5' },
      { offset: '6', key: 'k6', value: 'v6' },
      { offset: '7', key: 'k7', value: null },
      { offset: '8', key: null, value: 'v8' },
      { offset: '9', key: 'k9', value: 'zoë – ✓' },
      { offset: '10', key: 'k10', value: 'v10' },
    ]);
    expect(p0[p0.length - 1]).toEqual({ offset: '1100', key: 'k1100', value: 'v1100' });
    expect(got.get(1)).toEqual([0, 1, 2].map((i) => ({ offset: String(i), key: `p1-${i}`, value: `w${i}` })));
    expect(Math.max(...calls)).toBeLessThanOrEqual(250);
  });

  it('hands a later stage over only once every partition of the earlier stages is done', async () => {
    const calls: Array<{ partition: number; first: string; last: string }> = [];
    await readRange({
      kafka: stack.kafka,
      from: new Map(),
      to: offsetsOf([
        { topic, partition: 0, offset: 1_199n },
        { topic, partition: 1, offset: 2n },
      ]),
      maxRecordsPerCall: 100,
      stageOf: (_topic, partition) => (partition === 0 ? 1 : 0),
      onRecords: async (_t, partition, records) => void calls.push({ partition, first: records[0]!.offset, last: records[records.length - 1]!.offset }),
    });
    expect(calls[0]).toEqual({ partition: 1, first: '0', last: '2' });
    expect(calls.slice(1).every((c) => c.partition === 0)).toBe(true);
    expect(calls.slice(1).map((c) => c.first)).toEqual(Array.from({ length: 12 }, (_, i) => String(i * 100)));
  });

  it('rejects with the error onRecords threw, after stopping its fetching thread', async () => {
    const read = readRange({
      kafka: stack.kafka,
      from: new Map(),
      to: offsetsOf([{ topic, partition: 0, offset: 1_199n }]),
      onRecords: async () => {
        throw new Error('the projection failed');
      },
    });
    await expect(read).rejects.toThrow('the projection failed');
  });

  it('refuses a Kafka client that createKafka did not make, saying why', async () => {
    const foreign = new Kafka({ clientId: 'foreign', brokers: [stack.kafkaBrokers], logLevel: logLevel.NOTHING });
    await expect(readRange({ kafka: foreign, from: new Map(), to: offsetsOf([{ topic, partition: 0, offset: 0n }]), onRecords: async () => undefined })).rejects.toThrow(
      'readRange needs a Kafka client made by createKafka',
    );
  });
});
