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

/**
 * Splits the ranges `from` → `to` in two: the partitions with at most `limit` records left to read,
 * then the others (partitions with nothing left are in neither). Empty parts are left out.
 */
export function splitBySize(from: PartitionOffsets, to: PartitionOffsets, limit: number): PartitionOffsets[] {
  const short: Array<{ topic: string; partition: number; offset: bigint }> = [];
  const long: Array<{ topic: string; partition: number; offset: bigint }> = [];
  for (const p of eachPartition(to)) {
    const left = p.offset - (from.get(p.topic)?.get(p.partition) ?? -1n);
    if (left <= 0n) continue;
    (left <= BigInt(limit) ? short : long).push(p);
  }
  return [short, long].filter((part) => part.length > 0).map(offsetsOf);
}

/**
 * Offsets at most `limit` records past `from` in all, towards `to`. Partitions with at most `whole`
 * records left are taken whole (rebuilt first, they are usually the configuration the others refer
 * to); the rest of the limit goes to the other partitions in proportion to what each has left, so
 * they are all cut at about the same fraction.
 */
export function prefixOf(from: PartitionOffsets, to: PartitionOffsets, limit: number, whole = 0): PartitionOffsets {
  const parts = [...eachPartition(to)].map((p) => {
    const start = from.get(p.topic)?.get(p.partition) ?? -1n;
    return { ...p, start, left: p.offset > start ? p.offset - start : 0n };
  });
  const total = parts.reduce((n, p) => n + p.left, 0n);
  const cap = BigInt(Math.max(0, Math.floor(limit)));
  if (total <= cap) return to;
  const isWhole = (p: { left: bigint }): boolean => p.left <= BigInt(whole);
  const wholeTotal = parts.filter(isWhole).reduce((n, p) => n + p.left, 0n);
  const rest = total - wholeTotal;
  const share = cap > wholeTotal ? cap - wholeTotal : 0n;
  return offsetsOf(parts.map((p) => ({ topic: p.topic, partition: p.partition, offset: isWhole(p) ? p.offset : p.start + (p.left * share) / rest })));
}

export interface ReadRangeOptions {
  kafka: Kafka;
  /** Read each partition from after this offset (its checkpoint); absent = from the beginning. */
  from: PartitionOffsets;
  /** Read each partition up to and including this offset. Partitions absent here are not read. */
  to: PartitionOffsets;
  /** Called with consecutive records of one partition, in offset order, never beyond `to`; one call at a time per partition. */
  onRecords: (topic: string, partition: number, records: KafkaMessage[]) => Promise<void>;
  /** Partitions handed to `onRecords` at once (each still in order). Default 4. */
  concurrency?: number;
  /** Records per `onRecords` call at most: consecutive fetched batches of a partition are joined up to this. Default 20,000. */
  maxRecordsPerCall?: number;
  /** Records fetched ahead of `onRecords` per partition before the partition's fetching pauses. Default 2 × maxRecordsPerCall. */
  prefetch?: number;
}

interface PartitionRead {
  topic: string;
  partition: number;
  /** The next offset to hand over, and the last one wanted. */
  next: bigint;
  end: bigint;
  queue: KafkaMessage[][];
  queued: number;
  /** Everything up to `end` has been fetched. */
  fetched: boolean;
  paused: boolean;
  busy: boolean;
  done: boolean;
}

/**
 * Reads exact offset ranges of many partitions, then stops. A private consumer group (never
 * committed) gets every partition; each is sought to its start and paused once it reaches its end.
 * Fetching runs ahead of `onRecords` (up to `prefetch` records per partition): kafkajs fetches again
 * only once its handlers have returned, so handing records over from the fetch handler keeps the
 * broker busy while `onRecords` works, and joins small fetched batches into calls of up to
 * `maxRecordsPerCall` records.
 */
export async function readRange(options: ReadRangeOptions): Promise<void> {
  const wanted = [...eachPartition(options.to)].filter((p) => p.offset > (options.from.get(p.topic)?.get(p.partition) ?? -1n));
  if (wanted.length === 0) return;
  const maxPerCall = options.maxRecordsPerCall ?? 20_000;
  const prefetch = options.prefetch ?? 2 * maxPerCall;
  const concurrency = options.concurrency ?? 4;
  const topics = [...new Set(wanted.map((w) => w.topic))];
  const reads = new Map<string, PartitionRead>(
    wanted.map((w) => [
      `${w.topic}:${w.partition}`,
      {
        topic: w.topic, partition: w.partition, next: (options.from.get(w.topic)?.get(w.partition) ?? -1n) + 1n, end: w.offset,
        queue: [], queued: 0, fetched: false, paused: false, busy: false, done: false,
      },
    ]),
  );
  const order = [...reads.values()];
  let remaining = order.length;
  let cursor = 0;
  let active = 0;
  let failure: { error: unknown } | undefined;
  let stopping = false;
  const inFlight = new Set<Promise<void>>();
  const consumer = options.kafka.consumer({
    groupId: `revstream-replay-${randomBytes(6).toString('hex')}`,
    maxWaitTimeInMs: 100,
    maxBytesPerPartition: 4 * 1024 * 1024,
    maxBytes: 32 * 1024 * 1024,
    sessionTimeout: 60_000,
    rebalanceTimeout: 60_000,
    // A consumer that crashes while it is being disconnected must not restart on its own.
    retry: { restartOnFailure: async () => !stopping },
  });

  let settle: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  const finished = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  const fail = (error: unknown): void => {
    if (failure) return;
    failure = { error };
    // Let what is already running end before reporting: the caller may close what it writes to.
    void Promise.allSettled([...inFlight]).then(() => settle!.reject(error));
  };
  const complete = (read: PartitionRead): void => {
    if (read.done || !read.fetched || read.queued > 0 || read.busy) return;
    read.done = true;
    if (--remaining === 0) settle!.resolve();
  };
  /** Hands queued records to `onRecords`, partitions in turn, at most `concurrency` at once. */
  const dispatch = (): void => {
    for (let scanned = 0; scanned < order.length && active < concurrency && !failure; scanned++) {
      const read = order[cursor]!;
      cursor = (cursor + 1) % order.length;
      if (read.busy || read.queued === 0) continue;
      const records: KafkaMessage[] = [];
      while (read.queue.length > 0 && (records.length === 0 || records.length + read.queue[0]!.length <= maxPerCall)) records.push(...read.queue.shift()!);
      read.queued -= records.length;
      read.busy = true;
      active++;
      const work = options.onRecords(read.topic, read.partition, records).then(
        () => {
          read.busy = false;
          active--;
          if (read.paused && !read.fetched && read.queued < prefetch / 2) {
            read.paused = false;
            consumer.resume([{ topic: read.topic, partitions: [read.partition] }]);
          }
          complete(read);
          dispatch();
        },
        (error: unknown) => fail(error),
      );
      inFlight.add(work);
      void work.finally(() => inFlight.delete(work));
    }
  };

  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning }) => {
        const read = reads.get(`${batch.topic}:${batch.partition}`);
        if (!read || read.fetched || failure) {
          consumer.pause([{ topic: batch.topic, partitions: [batch.partition] }]);
          return;
        }
        if (!isRunning()) return;
        const records = batch.messages.filter((m) => BigInt(m.offset) >= read.next && BigInt(m.offset) <= read.end);
        if (records.length > 0) {
          read.queue.push(records);
          read.queued += records.length;
          read.next = BigInt(records[records.length - 1]!.offset) + 1n;
          resolveOffset(records[records.length - 1]!.offset);
        }
        const lastSeen = BigInt(batch.messages[batch.messages.length - 1]?.offset ?? '-1');
        if (lastSeen >= read.end) {
          read.fetched = true;
          consumer.pause([{ topic: batch.topic, partitions: [batch.partition] }]);
        } else if (read.queued >= prefetch && !read.paused) {
          read.paused = true;
          consumer.pause([{ topic: batch.topic, partitions: [batch.partition] }]);
        }
        dispatch();
        complete(read);
        await heartbeat();
      },
    });
    for (const w of wanted) {
      const from = options.from.get(w.topic)?.get(w.partition);
      if (from !== undefined) consumer.seek({ topic: w.topic, partition: w.partition, offset: (from + 1n).toString() });
    }
    // kafkajs restarts the consumer after a retriable crash (the reads go on from `next`); anything else ends the read.
    consumer.on(consumer.events.CRASH, (event) => {
      if (!event.payload.restart) fail(event.payload.error);
    });
    await finished;
  } finally {
    stopping = true;
    await consumer.disconnect();
  }
}
