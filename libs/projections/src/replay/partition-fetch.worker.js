// @ts-check
/**
 * The fetching half of `readRange` (partition-reader.ts), on a thread of its own: a kafkajs consumer in
 * a private group fetches exact offset ranges and posts each fetched batch to the main thread packed
 * in one transferred buffer (keys and values back to back, their bounds in an Int32Array, offsets in a
 * Float64Array). Decoding Kafka's record batches into kafkajs messages costs a replay about as much
 * CPU as the projection it feeds; here it runs beside it, and the main thread only slices the buffer.
 *
 * Plain JavaScript, with only kafkajs to load, so the same file runs from the sources (tests) and from
 * dist. Protocol (PartitionFetchMessage, PartitionFetchCommand in partition-reader.ts):
 *  - workerData: { connection (kafkaConnectionOf), groupId, ranges: [{ topic, partition, next, end, prefetch }] };
 *  - posts { type: 'records', topic, partition, data, bounds, offsets, last } and, on failure,
 *    { type: 'error', name, message, stack };
 *  - takes { type: 'consumed', topic, partition, count } (the main thread handed them over: a paused
 *    partition resumes below half its prefetch), { type: 'prefetch', topic, partition, records } (a
 *    partition's prefetch from now on) and { type: 'stop' } (disconnects, then exits).
 */
const { parentPort, workerData } = require('node:worker_threads');
const { Kafka, logLevel } = require('kafkajs');

/** @typedef {{ topic: string; partition: number; next: number; end: number; prefetch: number; inFlight: number; fetched: boolean; paused: boolean }} Range */

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
const { connection, groupId } = workerData;
/** @type {Map<string, Range>} */
const ranges = new Map();
for (const r of workerData.ranges) {
  ranges.set(`${r.topic}:${r.partition}`, { topic: r.topic, partition: r.partition, next: Number(r.next), end: Number(r.end), prefetch: r.prefetch, inFlight: 0, fetched: false, paused: false });
}

let stopping = false;
let failed = false;
// The caller's client settings (createKafka's, kafkaConnectionOf); its logger stays on the main thread.
const kafka = new Kafka({ ...connection, logLevel: logLevel.NOTHING });
const consumer = kafka.consumer({
  groupId,
  maxWaitTimeInMs: 100,
  // 1 MiB per partition and fetch: kafkajs joins a response into one buffer before decoding it, and
  // smaller ones cost less CPU per record (3.3 against 3.6 µs, and the rebuild 2 to 8 % faster in
  // five rounds against 4 MiB: docs/replay.md).
  maxBytesPerPartition: 1024 * 1024,
  maxBytes: 32 * 1024 * 1024,
  sessionTimeout: 60_000,
  rebalanceTimeout: 60_000,
  // A consumer that crashes while it is being disconnected must not restart on its own.
  retry: { restartOnFailure: async () => !stopping },
});

/** @param {unknown} error */
const fail = (error) => {
  if (failed) return;
  failed = true;
  const e = error instanceof Error ? error : new Error(String(error));
  port.postMessage({ type: 'error', name: e.name, message: e.message, stack: e.stack });
};

/**
 * @param {string} topic
 * @param {number} partition
 */
const pause = (topic, partition) => consumer.pause([{ topic, partitions: [partition] }]);

/**
 * Keys and values of `messages` back to back in one buffer; bounds holds, per record, the start and
 * length of its key, then of its value (length -1: null).
 * @param {Array<{ key: Buffer | null; value: Buffer | null; offset: string }>} messages
 */
function pack(messages) {
  let bytes = 0;
  for (const m of messages) bytes += (m.key?.length ?? 0) + (m.value?.length ?? 0);
  const data = new Uint8Array(new ArrayBuffer(bytes));
  const bounds = new Int32Array(messages.length * 4);
  const offsets = new Float64Array(messages.length);
  let at = 0;
  /**
   * @param {Buffer | null} part
   * @param {number} slot
   */
  const put = (part, slot) => {
    bounds[slot] = at;
    if (part === null) {
      bounds[slot + 1] = -1;
      return;
    }
    bounds[slot + 1] = part.length;
    data.set(part, at);
    at += part.length;
  };
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    put(m.key, i * 4);
    put(m.value, i * 4 + 2);
    offsets[i] = Number(m.offset);
  }
  return { data, bounds, offsets };
}

port.on('message', (/** @type {{ type: 'consumed'; topic: string; partition: number; count: number } | { type: 'prefetch'; topic: string; partition: number; records: number } | { type: 'stop' }} */ command) => {
  if (command.type === 'stop') {
    stopping = true;
    void consumer.disconnect().catch(() => undefined).finally(() => process.exit(0));
    return;
  }
  const range = ranges.get(`${command.topic}:${command.partition}`);
  if (!range) return;
  if (command.type === 'consumed') range.inFlight -= command.count;
  else range.prefetch = command.records;
  if (range.paused && !range.fetched && range.inFlight < range.prefetch / 2) {
    range.paused = false;
    consumer.resume([{ topic: range.topic, partitions: [range.partition] }]);
  }
});

(async () => {
  for (const range of ranges.values()) {
    if (!Number.isSafeInteger(range.end)) throw new Error(`offset ${range.end} of ${range.topic}:${range.partition} is past 2^53`);
  }
  await consumer.connect();
  await consumer.subscribe({ topics: [...new Set([...ranges.values()].map((r) => r.topic))], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 1,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning }) => {
      const range = ranges.get(`${batch.topic}:${batch.partition}`);
      if (!range || range.fetched || failed || stopping) {
        pause(batch.topic, batch.partition);
        return;
      }
      if (!isRunning()) return;
      const messages = batch.messages;
      const first = messages.length > 0 ? Number(messages[0].offset) : 0;
      const lastOffset = messages.length > 0 ? Number(messages[messages.length - 1].offset) : -1;
      const wanted = first >= range.next && lastOffset <= range.end ? messages : messages.filter((m) => Number(m.offset) >= range.next && Number(m.offset) <= range.end);
      const last = lastOffset >= range.end;
      if (wanted.length > 0 || last) {
        const { data, bounds, offsets } = pack(wanted);
        if (wanted.length > 0) {
          range.next = offsets[offsets.length - 1] + 1;
          range.inFlight += wanted.length;
          resolveOffset(wanted[wanted.length - 1].offset);
        }
        if (last) range.fetched = true;
        port.postMessage({ type: 'records', topic: batch.topic, partition: batch.partition, data, bounds, offsets, last }, [data.buffer, bounds.buffer, offsets.buffer]);
      }
      if (last) pause(batch.topic, batch.partition);
      else if (range.inFlight >= range.prefetch && !range.paused) {
        range.paused = true;
        pause(batch.topic, batch.partition);
      }
      await heartbeat();
    },
  });
  for (const range of ranges.values()) {
    if (range.next > 0) consumer.seek({ topic: range.topic, partition: range.partition, offset: String(range.next) });
  }
  // kafkajs restarts the consumer after a retriable crash (fetching goes on from `next`); anything else ends the read.
  consumer.on(consumer.events.CRASH, (event) => {
    if (!event.payload.restart) fail(event.payload.error);
  });
})().catch(fail);
