import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Kafka } from 'kafkajs';
import { kafkaConnectionOf } from '@revstream/kafka';
import type { LogRecord } from '../projection-runner';

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
 * Splits the ranges `from` → `to` by size: the partitions with at most `limits[0]` records left to
 * read, then those with at most `limits[1]`, and so on (ascending), then the others. Partitions with
 * nothing left are in none; empty parts are left out.
 */
export function splitBySize(from: PartitionOffsets, to: PartitionOffsets, ...limits: number[]): PartitionOffsets[] {
  const tiers: Array<Array<{ topic: string; partition: number; offset: bigint }>> = [...limits, Number.POSITIVE_INFINITY].map(() => []);
  for (const p of eachPartition(to)) {
    const left = p.offset - (from.get(p.topic)?.get(p.partition) ?? -1n);
    if (left <= 0n) continue;
    const tier = limits.findIndex((limit) => left <= BigInt(limit));
    tiers[tier < 0 ? limits.length : tier]!.push(p);
  }
  return tiers.filter((part) => part.length > 0).map(offsetsOf);
}

/**
 * The order a rebuild reads partitions in, as parts read one after the other: the tiny ones (at most
 * a hundredth of a transaction: in a log, the configuration: catalogs, prices, subscriptions), then
 * the short ones (at most one transaction), then the long ones. Configuration applied after the usage
 * it governs forces a recomputation of what was already built, under exclusive locks that the usage
 * transactions then wait for; applied first, it finds nothing to redo.
 */
export function rebuildOrder(from: PartitionOffsets, to: PartitionOffsets, maxRecordsPerCall: number): PartitionOffsets[] {
  return splitBySize(from, to, Math.max(1, Math.floor(maxRecordsPerCall / 100)), maxRecordsPerCall);
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
  /** A client createKafka made: the fetching thread connects to the same brokers. */
  kafka: Kafka;
  /** Read each partition from after this offset (its checkpoint); absent = from the beginning. */
  from: PartitionOffsets;
  /** Read each partition up to and including this offset. Partitions absent here are not read. */
  to: PartitionOffsets;
  /** Called with consecutive records of one partition, in offset order, never beyond `to`; one call at a time per partition. */
  onRecords: (topic: string, partition: number, records: LogRecord[]) => Promise<void>;
  /** Partitions handed to `onRecords` at once (each still in order). Default 4. */
  concurrency?: number;
  /** Records per `onRecords` call at most: a partition's fetched batches are joined, or cut, to this. Default 20,000. */
  maxRecordsPerCall?: number;
  /** Records fetched ahead of `onRecords` per partition before the partition's fetching pauses. Default 2 × maxRecordsPerCall. */
  prefetch?: number;
  /**
   * Partitions in stages (default: all in stage 0): a partition's records are handed over only once
   * every partition of an earlier stage is done. Every partition is fetched from the start, so a
   * stage's records are waiting when the one before it ends; until then, at most `maxRecordsPerCall`
   * of each (what waits is memory), then `prefetch`.
   */
  stageOf?: (topic: string, partition: number) => number;
}

/** A fetched batch as it came over, unpacked only when handed to `onRecords` (until then, nothing for the collector to trace). */
interface PackedRecords {
  data: Uint8Array;
  bounds: Int32Array;
  offsets: Float64Array;
}

interface PartitionRead {
  topic: string;
  partition: number;
  stage: number;
  /** Fetched batches not handed over yet; the first may be handed over in part (from `taken`). */
  queue: PackedRecords[];
  taken: number;
  queued: number;
  /** Everything up to the range's end has been fetched. */
  fetched: boolean;
  busy: boolean;
  done: boolean;
}

/** What the fetching thread posts (partition-fetch.worker.js). */
type PartitionFetchMessage =
  | { type: 'records'; topic: string; partition: number; data: Uint8Array; bounds: Int32Array; offsets: Float64Array; last: boolean }
  | { type: 'error'; name: string; message: string; stack?: string };

/** What it takes. */
type PartitionFetchCommand =
  | { type: 'consumed'; topic: string; partition: number; count: number }
  | { type: 'prefetch'; topic: string; partition: number; records: number }
  | { type: 'stop' };

/**
 * One record of a posted batch, read from the batch's buffer when asked. Key and value come as text
 * (what the runner decodes), made at each read: the runner reads a value once, to decode it, and the
 * text is garbage at once, where text made ahead would live as long as the batch's transaction. A
 * value that is not valid UTF-8 comes as bytes, a view of the buffer, so a dead letter keeps it exactly.
 */
class PackedRecord implements LogRecord {
  constructor(
    private readonly buffer: Buffer,
    private readonly bounds: Int32Array,
    private readonly index: number,
    readonly offset: string,
  ) {}

  get key(): Buffer | string | null {
    return this.part(this.index * 4);
  }

  get value(): Buffer | string | null {
    return this.part(this.index * 4 + 2);
  }

  private part(slot: number): Buffer | string | null {
    const at = this.bounds[slot]!;
    const length = this.bounds[slot + 1]!;
    if (length < 0) return null;
    const text = this.buffer.toString('utf8', at, at + length);
    return text.includes('\uFFFD') ? this.buffer.subarray(at, at + length) : text;
  }
}

/** Records `start` to `end` (exclusive) of one posted batch, appended to `into` (see PackedRecord). */
function unpackRecords(packed: PackedRecords, start: number, end: number, into: LogRecord[]): void {
  const { data, bounds, offsets } = packed;
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  for (let i = start; i < end; i++) into.push(new PackedRecord(buffer, bounds, i, String(offsets[i])));
}

const FETCH_WORKER = join(__dirname, 'partition-fetch.worker.js');

/**
 * Reads exact offset ranges of many partitions, then stops. Fetching runs on a thread of its own
 * (partition-fetch.worker.js): a private consumer group (never committed) gets every partition, each
 * is sought to its start and paused once it reaches its end, and fetched batches come over packed in
 * one transferred buffer each. Fetching runs ahead of `onRecords` (up to `prefetch` records per
 * partition), so the broker stays busy while `onRecords` works; fetched batches are joined (or cut)
 * into calls of up to `maxRecordsPerCall` records. Decoding Kafka's record batches costs about as much CPU
 * as a projection applying them: on its own thread it runs beside it.
 */
export async function readRange(options: ReadRangeOptions): Promise<void> {
  const wanted = [...eachPartition(options.to)].filter((p) => p.offset > (options.from.get(p.topic)?.get(p.partition) ?? -1n));
  if (wanted.length === 0) return;
  const connection = kafkaConnectionOf(options.kafka);
  if (!connection) throw new Error('readRange needs a Kafka client made by createKafka (@revstream/kafka): its fetching thread connects the same way');
  const maxPerCall = options.maxRecordsPerCall ?? 20_000;
  const prefetch = options.prefetch ?? 2 * maxPerCall;
  const concurrency = options.concurrency ?? 4;
  const reads = new Map<string, PartitionRead>(
    wanted.map((w) => [
      `${w.topic}:${w.partition}`,
      { topic: w.topic, partition: w.partition, stage: options.stageOf?.(w.topic, w.partition) ?? 0, queue: [], taken: 0, queued: 0, fetched: false, busy: false, done: false },
    ]),
  );
  const order = [...reads.values()];
  let remaining = order.length;
  /** The stage being handed over: the earliest with a partition not done. */
  const currentStage = (): number => Math.min(...order.filter((r) => !r.done).map((r) => r.stage));
  let stage = currentStage();
  /** A partition's prefetch: a later stage's waits with one call's worth. */
  const prefetchOf = (read: PartitionRead): number => (read.stage > stage ? Math.min(prefetch, maxPerCall) : prefetch);
  let cursor = 0;
  let active = 0;
  let failure: { error: unknown } | undefined;
  const inFlight = new Set<Promise<void>>();

  const worker = new Worker(FETCH_WORKER, {
    workerData: {
      connection,
      groupId: `revstream-replay-${randomBytes(6).toString('hex')}`,
      ranges: wanted.map((w) => ({
        topic: w.topic,
        partition: w.partition,
        next: ((options.from.get(w.topic)?.get(w.partition) ?? -1n) + 1n).toString(),
        end: w.offset.toString(),
        prefetch: prefetchOf(reads.get(`${w.topic}:${w.partition}`)!),
      })),
    },
  });
  const command = (c: PartitionFetchCommand): void => worker.postMessage(c);
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));

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
    if (--remaining === 0) {
      settle!.resolve();
      return;
    }
    const next = currentStage();
    if (next !== stage) {
      stage = next;
      for (const r of order) if (r.stage === stage && !r.fetched) command({ type: 'prefetch', topic: r.topic, partition: r.partition, records: prefetchOf(r) });
      dispatch();
    }
  };
  /** Hands queued records to `onRecords`, partitions in turn, at most `concurrency` at once. */
  const dispatch = (): void => {
    for (let scanned = 0; scanned < order.length && active < concurrency && !failure; scanned++) {
      const read = order[cursor]!;
      cursor = (cursor + 1) % order.length;
      if (read.busy || read.queued === 0 || read.stage > stage) continue;
      const records: LogRecord[] = [];
      while (read.queue.length > 0 && records.length < maxPerCall) {
        const next = read.queue[0]!;
        const end = Math.min(next.offsets.length, read.taken + maxPerCall - records.length);
        unpackRecords(next, read.taken, end, records);
        read.taken = end;
        if (end === next.offsets.length) {
          read.queue.shift();
          read.taken = 0;
        }
      }
      read.queued -= records.length;
      read.busy = true;
      active++;
      const work = options.onRecords(read.topic, read.partition, records).then(
        () => {
          read.busy = false;
          active--;
          command({ type: 'consumed', topic: read.topic, partition: read.partition, count: records.length });
          complete(read);
          dispatch();
        },
        (error: unknown) => fail(error),
      );
      inFlight.add(work);
      void work.finally(() => inFlight.delete(work));
    }
  };

  worker.on('message', (message: PartitionFetchMessage) => {
    if (failure) return;
    if (message.type === 'error') {
      fail(Object.assign(new Error(message.message), { name: message.name, stack: message.stack }));
      return;
    }
    const read = reads.get(`${message.topic}:${message.partition}`);
    if (!read) return;
    if (message.offsets.length > 0) {
      read.queue.push({ data: message.data, bounds: message.bounds, offsets: message.offsets });
      read.queued += message.offsets.length;
    }
    if (message.last) read.fetched = true;
    dispatch();
    complete(read);
  });
  worker.on('error', fail);
  void exited.then(() => fail(new Error('the partition fetching thread exited before the read was done')));

  try {
    await finished;
  } finally {
    command({ type: 'stop' });
    // It disconnects its consumer, then exits; a broker that does not answer must not hold the caller.
    const timer = setTimeout(() => void worker.terminate(), 15_000);
    await exited;
    clearTimeout(timer);
  }
}
