import { compareText } from './time';

/**
 * A record split into buckets, so that an immutable update copies one bucket and the bucket index
 * rather than every entry: a tenant's document folds each event with copy-on-write, and a flat map of
 * thousands of customers would be copied once per event. Which bucket holds a key is a pure function
 * of the key, so the same entries always land in the same shape.
 */
export type Buckets<T> = Readonly<Record<string, Readonly<Record<string, T>>>>;

/** FNV-1a, 32 bits: a stable hash of a key. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** 64 buckets by hash: one update copies about 64 + n/64 entries. */
export const hashBucket = (key: string): string => String(fnv1a(key) & 63);

export function bucketGet<T>(buckets: Buckets<T>, key: string, bucketOf: (key: string) => string = hashBucket): T | undefined {
  return buckets[bucketOf(key)]?.[key];
}

export function bucketSet<T>(buckets: Buckets<T>, key: string, value: T, bucketOf: (key: string) => string = hashBucket): Buckets<T> {
  const b = bucketOf(key);
  const bucket = buckets[b] ?? {};
  if (bucket[key] === value) return buckets;
  return { ...buckets, [b]: { ...bucket, [key]: value } };
}

/** Every entry, sorted by key. */
export function bucketEntries<T>(buckets: Buckets<T>): Array<[string, T]> {
  const out: Array<[string, T]> = [];
  for (const b of Object.keys(buckets)) for (const key of Object.keys(buckets[b]!)) out.push([key, buckets[b]![key]!]);
  return out.sort(([a], [b]) => compareText(a, b));
}
