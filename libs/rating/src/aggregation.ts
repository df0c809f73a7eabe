import type { MeterAggregation } from '@revstream/events';
import { addDecimal, compareDecimal, type Decimal, decimalFromInteger, maxDecimal, ZERO } from './decimal';

export type { MeterAggregation } from '@revstream/events';
export { METER_AGGREGATIONS } from '@revstream/events';

/** Counters add up (Revnu usage, Revenium elements); gauges report a level (Revenue Linter usage/limit). */
export type MeterKind = 'counter' | 'gauge';

/** Counters are summed, gauges report their latest reading, unless the meter's price says otherwise. */
export const defaultAggregation = (kind: MeterKind): MeterAggregation => (kind === 'gauge' ? 'latest' : 'sum');

/** One usage reading of one meter, as the ledger keeps it. */
export interface Reading {
  readonly value: Decimal;
  readonly occurredAt: number;
  readonly receivedAt: number;
  /** The dedup key: unique per meter and customer; breaks ties between readings at the same instant. */
  readonly key: string;
}

/**
 * Everything a period needs, whatever the meter's aggregation: sum, count, max, the latest reading
 * (by event time, ties to the greater key) and the first and last event times. Combining two
 * aggregates is associative and commutative, so folding in any order, in any batches, gives the same.
 */
export interface UsageAggregate {
  readonly count: number;
  readonly sum: Decimal;
  readonly max: Decimal | null;
  readonly latest: Decimal | null;
  readonly latestAt: number | null;
  readonly latestKey: string | null;
  readonly firstAt: number | null;
  readonly lastAt: number | null;
}

export const EMPTY_AGGREGATE: UsageAggregate = { count: 0, sum: ZERO, max: null, latest: null, latestAt: null, latestKey: null, firstAt: null, lastAt: null };

/** Code-point order, which is Postgres's "C" collation: the SQL merge breaks ties the same way. */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length < b.length ? -1 : 1;
}

const laterReading = (at: number, key: string, thanAt: number | null, thanKey: string | null): boolean =>
  thanAt === null || at > thanAt || (at === thanAt && compareKeys(key, thanKey!) > 0);

export function addReading(a: UsageAggregate, r: Reading): UsageAggregate {
  const later = laterReading(r.occurredAt, r.key, a.latestAt, a.latestKey);
  return {
    count: a.count + 1,
    sum: addDecimal(a.sum, r.value),
    max: a.max === null ? r.value : maxDecimal(a.max, r.value),
    latest: later ? r.value : a.latest,
    latestAt: later ? r.occurredAt : a.latestAt,
    latestKey: later ? r.key : a.latestKey,
    firstAt: a.firstAt === null ? r.occurredAt : Math.min(a.firstAt, r.occurredAt),
    lastAt: a.lastAt === null ? r.occurredAt : Math.max(a.lastAt, r.occurredAt),
  };
}

export function mergeAggregates(a: UsageAggregate, b: UsageAggregate): UsageAggregate {
  if (b.count === 0) return a;
  if (a.count === 0) return b;
  const later = laterReading(b.latestAt!, b.latestKey!, a.latestAt, a.latestKey);
  return {
    count: a.count + b.count,
    sum: addDecimal(a.sum, b.sum),
    max: maxDecimal(a.max!, b.max!),
    latest: later ? b.latest : a.latest,
    latestAt: later ? b.latestAt : a.latestAt,
    latestKey: later ? b.latestKey : a.latestKey,
    firstAt: Math.min(a.firstAt!, b.firstAt!),
    lastAt: Math.max(a.lastAt!, b.lastAt!),
  };
}

/** The period's value under an aggregation. An empty aggregate is worth 0 (nothing used). */
export function aggregateValue(a: UsageAggregate, aggregation: MeterAggregation): Decimal {
  switch (aggregation) {
    case 'sum':
      return a.sum;
    case 'count':
      return decimalFromInteger(a.count);
    case 'max':
      return a.max ?? ZERO;
    case 'latest':
      return a.latest ?? ZERO;
  }
}

/** Two aggregates hold the same figures (used by tests and by the checks of the fold). */
export const sameAggregate = (a: UsageAggregate, b: UsageAggregate): boolean =>
  a.count === b.count &&
  compareDecimal(a.sum, b.sum) === 0 &&
  (a.max === null ? b.max === null : b.max !== null && compareDecimal(a.max, b.max) === 0) &&
  (a.latest === null ? b.latest === null : b.latest !== null && compareDecimal(a.latest, b.latest) === 0) &&
  a.latestAt === b.latestAt &&
  a.latestKey === b.latestKey &&
  a.firstAt === b.firstAt &&
  a.lastAt === b.lastAt;
