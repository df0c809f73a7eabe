/**
 * Half-open intervals of event time, [start, end), in epoch ms. `end` may be Infinity (still true).
 * Memberships are computed as intervals: when a rule holds, from the facts alone.
 */
export interface Interval {
  readonly start: number;
  readonly end: number;
}

/** Sorts and merges overlapping or touching intervals; drops empty ones. */
export function normalize(intervals: readonly Interval[]): Interval[] {
  const sorted = intervals.filter((i) => i.end > i.start).sort((a, b) => a.start - b.start || a.end - b.end);
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && i.start <= last.end) {
      if (i.end > last.end) out[out.length - 1] = { start: last.start, end: i.end };
    } else {
      out.push(i);
    }
  }
  return out;
}

export const union = (...lists: ReadonlyArray<readonly Interval[]>): Interval[] => normalize(lists.flat());

/** The intersection of two sets of intervals. */
export function intersect(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const x = normalize(a);
  const y = normalize(b);
  const out: Interval[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    const start = Math.max(x[i]!.start, y[j]!.start);
    const end = Math.min(x[i]!.end, y[j]!.end);
    if (end > start) out.push({ start, end });
    if (x[i]!.end < y[j]!.end) i++;
    else j++;
  }
  return normalize(out);
}

export const contains = (interval: Interval, at: number): boolean => interval.start <= at && at < interval.end;
