import { randomBytes } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';

/** `topic` → partition → offset. */
export type PartitionOffsets = Map<string, Map<number, bigint>>;

export const offsetsOf = (entries: Iterable<{ topic: string; partition: number; offset: bigint }>): PartitionOffsets => {
  const out: PartitionOffsets = new Map();
  for (const e of entries) {
    const byPartition = out.get(e.topic) ?? new Map<number, bigint>();
    byPartition.set(e.partition, e.offset);
    out.set(e.topic, byPartition);
  }
  return out;
};

export function* eachPartition(offsets: PartitionOffsets): Generator<{ topic: string; partition: number; offset: bigint }> {
  for (const [topic, byPartition] of offsets) for (const [partition, offset] of byPartition) yield { topic, partition, offset };
}

/**
 * The last offset of every partition of the topics (high-water mark − 1), i.e. what a rebuild must
 * reach to have seen everything there now. A partition with no records is absent. Also returns the
 * low-water marks, so a caller can refuse when records were already deleted.
 */
export async function lastOffsets(kafka: Kafka, topics: readonly string[]): Promise<{ last: PartitionOffsets; first: PartitionOffsets }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const last: PartitionOffsets = new Map();
    const first: PartitionOffsets = new Map();
    for (const topic of topics) {
      const partitions = await admin.fetchTopicOffsets(topic);
      const l = new Map<number, bigint>();
      const f = new Map<number, bigint>();
      for (const p of partitions) {
        f.set(p.partition, BigInt(p.low));
        if (BigInt(p.high) > 0n) l.set(p.partition, BigInt(p.high) - 1n);
      }
      last.set(topic, l);
      first.set(topic, f);
    }
    return { last, first };
  } finally {
    await admin.disconnect();
  }
}

export interface ReadRangeOptions {
  kafka: Kafka;
  /** Read each partition from after this offset (its checkpoint); absent = from the beginning. */
  from: PartitionOffsets;
  /** Read each partition up to and including this offset. Partitions absent here are not read. */
  to: PartitionOffsets;
  /** Called with consecutive records of one partition, in offset order, never beyond `to`. */
  onRecords: (topic: string, partition: number, records: KafkaMessage[]) => Promise<void>;
}

/**
 * Reads exact offset ranges of many partitions, then stops. A private consumer group (never
 * committed) gets every partition; each is sought to its start and paused once it reaches its end.
 */
export async function readRange(options: ReadRangeOptions): Promise<void> {
  const wanted = [...eachPartition(options.to)].filter((p) => p.offset > (options.from.get(p.topic)?.get(p.partition) ?? -1n));
  if (wanted.length === 0) return;
  const topics = [...new Set(wanted.map((w) => w.topic))];
  const remaining = new Set(wanted.map((w) => `${w.topic}:${w.partition}`));
  const consumer = options.kafka.consumer({
    groupId: `revstream-replay-${randomBytes(6).toString('hex')}`,
    maxWaitTimeInMs: 100,
    maxBytesPerPartition: 4 * 1024 * 1024,
    maxBytes: 32 * 1024 * 1024,
    sessionTimeout: 60_000,
    rebalanceTimeout: 60_000,
  });
  await consumer.connect();
  let failure: unknown;
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const finishIfDone = (): void => {
        if (remaining.size === 0) resolve();
      };
      consumer
        .run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: 4,
          eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning }) => {
            const id = `${batch.topic}:${batch.partition}`;
            if (!remaining.has(id)) {
              consumer.pause([{ topic: batch.topic, partitions: [batch.partition] }]);
              return;
            }
            if (!isRunning()) return;
            const end = options.to.get(batch.topic)!.get(batch.partition)!;
            const start = options.from.get(batch.topic)?.get(batch.partition) ?? -1n;
            const records = batch.messages.filter((m) => BigInt(m.offset) > start && BigInt(m.offset) <= end);
            try {
              if (records.length > 0) {
                await options.onRecords(batch.topic, batch.partition, records);
                resolveOffset(records[records.length - 1]!.offset);
              }
              await heartbeat();
            } catch (error) {
              reject(error);
              return;
            }
            const lastSeen = BigInt(batch.messages[batch.messages.length - 1]?.offset ?? '-1');
            if (lastSeen >= end) {
              remaining.delete(id);
              consumer.pause([{ topic: batch.topic, partitions: [batch.partition] }]);
              finishIfDone();
            }
          },
        })
        .then(() => {
          for (const w of wanted) {
            const from = options.from.get(w.topic)?.get(w.partition);
            if (from !== undefined) consumer.seek({ topic: w.topic, partition: w.partition, offset: (from + 1n).toString() });
          }
        }, reject);
    });
  } catch (error) {
    failure = error;
  } finally {
    await consumer.disconnect();
  }
  if (failure !== undefined) throw failure;
}
