import { type ICustomPartitioner, Partitioners } from 'kafkajs';

/**
 * Kafka's murmur2 (the Java client's `Utils.murmur2`, seed 0x9747b28c) on 32-bit integers.
 * kafkajs computes the same hash with a `Long` object per step; this is the same function with
 * `Math.imul`, so every key lands on the partition Kafka's Java client (and kafkajs) would pick.
 */
export function murmur2(data: Uint8Array, length = data.length): number {
  const m = 0x5bd1e995;
  let h = 0x9747b28c ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const rest = length & 3;
  if (rest === 3) h ^= data[whole + 2]! << 16;
  if (rest >= 2) h ^= data[whole + 1]! << 8;
  if (rest >= 1) {
    h ^= data[whole]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

let scratch = new Uint8Array(256);

/** murmur2 of a string's UTF-8 bytes; an ASCII key (every key we write) is hashed without a new buffer. */
export function murmur2OfString(key: string): number {
  const length = key.length;
  if (length > scratch.length) scratch = new Uint8Array(length * 2);
  for (let i = 0; i < length; i++) {
    const c = key.charCodeAt(i);
    if (c >= 0x80) return murmur2(Buffer.from(key, 'utf8'));
    scratch[i] = c;
  }
  return murmur2(scratch, length);
}

/**
 * kafkajs's DefaultPartitioner for keyed records (murmur2 of the key, positive, modulo the
 * partition count), without its per-record `Long` arithmetic and partition-list copy. Records with
 * an explicit partition keep it; unkeyed records go to kafkajs's own partitioner.
 */
export const Murmur2Partitioner: ICustomPartitioner = () => {
  const fallback = Partitioners.DefaultPartitioner();
  return (args) => {
    const { message, partitionMetadata } = args;
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    const key = message.key;
    if (key === null || key === undefined) return fallback(args);
    const hash = typeof key === 'string' ? murmur2OfString(key) : murmur2(key);
    return (hash & 0x7fffffff) % partitionMetadata.length;
  };
};
