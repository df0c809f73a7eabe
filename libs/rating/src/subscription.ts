import type { ValuedPrice, ValuedRevenueData, ValuedSubscriptionItem } from '@revstream/events';
import { type BillingSchedule, CYCLE_INTERVALS, type CycleInterval, MAX_INTERVAL_COUNT, type ScheduleSegment } from './billing-period';
import { RatingInputError } from './errors';

/**
 * What metering keeps of a subscription: when it started and ended, and how often it renews. Each
 * field is a last-writer-wins register over the snapshots that carried it, ordered by their version
 * (event time, then receipt time, then event id), so the result does not depend on the order the
 * snapshots were read in. A snapshot that does not carry a field (a Valued invoice event repeats the
 * subscription without its items) leaves it as it was.
 */
export interface SubscriptionTerms {
  readonly key: string;
  readonly startedAt: number | null;
  readonly startedVersion: string | null;
  readonly endedAt: number | null;
  readonly endedVersion: string | null;
  readonly interval: CycleInterval | null;
  readonly intervalCount: number | null;
  readonly intervalVersion: string | null;
}

/** One Valued event's view of a subscription. `undefined`: the event does not say. */
export interface SubscriptionSnapshot {
  readonly key: string;
  readonly version: string;
  readonly startedAt: number | undefined;
  readonly endedAt: number | undefined;
  readonly cycle: { interval: CycleInterval; count: number } | undefined;
}

const unixSeconds = (value: unknown, field: string): number | undefined => {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 253402300799) {
    throw new RatingInputError(`${field}: must be Unix seconds, got ${JSON.stringify(value)}`);
  }
  return value * 1000;
};

/** The recurring price of an item: its own, else its plan's. */
export const itemPrice = (item: ValuedSubscriptionItem): ValuedPrice | null => item.price ?? item.plan?.price ?? null;

/**
 * How often a subscription renews: the interval of its items' recurring prices. Stripe requires every
 * item of a subscription to share one interval; should items disagree, the item with the smallest
 * source_key decides.
 */
export function cycleOfItems(items: readonly ValuedSubscriptionItem[]): { interval: CycleInterval; count: number } | undefined {
  const sorted = [...items].sort((a, b) => (a.source_key < b.source_key ? -1 : a.source_key > b.source_key ? 1 : 0));
  for (const item of sorted) {
    const price = itemPrice(item);
    if (!price || price.type === 'one_time' || price.interval === undefined || price.interval === null) continue;
    if (!CYCLE_INTERVALS.includes(price.interval)) {
      throw new RatingInputError(`subscription_items[${item.source_key}].price.interval: must be one of ${CYCLE_INTERVALS.join(', ')}`);
    }
    const count = price.interval_count ?? 1;
    if (!Number.isInteger(count) || count < 1 || count > MAX_INTERVAL_COUNT[price.interval]) {
      throw new RatingInputError(
        `subscription_items[${item.source_key}].price.interval_count: must be a whole number from 1 to ${MAX_INTERVAL_COUNT[price.interval]} for interval ${price.interval}`,
      );
    }
    return { interval: price.interval, count };
  }
  return undefined;
}

/** The subscription a Valued revenue body carries, as a snapshot; null when it carries none. */
export function subscriptionSnapshotOf(data: ValuedRevenueData, version: string): SubscriptionSnapshot | null {
  const sub = data.subscription;
  if (!sub) return null;
  if (typeof sub.source_key !== 'string' || sub.source_key.length === 0) throw new RatingInputError('subscription.source_key: must be a non-empty string');
  return {
    key: sub.source_key,
    version,
    startedAt: unixSeconds(sub.started_at, 'subscription.started_at'),
    endedAt: unixSeconds(sub.ended_at, 'subscription.ended_at'),
    cycle: data.subscription_items && data.subscription_items.length > 0 ? cycleOfItems(data.subscription_items) : undefined,
  };
}

export const emptyTerms = (key: string): SubscriptionTerms => ({
  key,
  startedAt: null,
  startedVersion: null,
  endedAt: null,
  endedVersion: null,
  interval: null,
  intervalCount: null,
  intervalVersion: null,
});

const newer = (version: string, than: string | null): boolean => than === null || version > than;

/** Applies a snapshot: each field it carries replaces the stored one when the snapshot is newer. */
export function mergeSubscription(terms: SubscriptionTerms, snapshot: SubscriptionSnapshot): SubscriptionTerms {
  let next = terms;
  if (snapshot.startedAt !== undefined && newer(snapshot.version, terms.startedVersion)) {
    next = { ...next, startedAt: snapshot.startedAt, startedVersion: snapshot.version };
  }
  if (snapshot.endedAt !== undefined && newer(snapshot.version, terms.endedVersion)) {
    next = { ...next, endedAt: snapshot.endedAt, endedVersion: snapshot.version };
  }
  if (snapshot.cycle !== undefined && newer(snapshot.version, terms.intervalVersion)) {
    next = { ...next, interval: snapshot.cycle.interval, intervalCount: snapshot.cycle.count, intervalVersion: snapshot.version };
  }
  return next;
}

/**
 * A customer's billing schedule from their subscriptions. Only subscriptions with a known start and
 * interval define cycles. The latest-started one governs from its start: an earlier subscription's
 * stretch ends where the next one starts, or where it ended. Ties on the start go to the greater key.
 */
export function scheduleOf(subscriptions: readonly SubscriptionTerms[]): BillingSchedule {
  const known = subscriptions
    .filter((s): s is SubscriptionTerms & { startedAt: number; interval: CycleInterval; intervalCount: number } => s.startedAt !== null && s.interval !== null && s.intervalCount !== null)
    .sort((a, b) => a.startedAt - b.startedAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const segments: ScheduleSegment[] = [];
  known.forEach((s, i) => {
    const next = known[i + 1];
    const end = Math.min(s.endedAt ?? Number.POSITIVE_INFINITY, next ? next.startedAt : Number.POSITIVE_INFINITY);
    if (end > s.startedAt) segments.push({ start: s.startedAt, end, cycle: { anchor: s.startedAt, interval: s.interval, count: s.intervalCount } });
  });
  return segments;
}

/** A stable text form of a schedule, to tell whether a change of subscriptions moved any period. */
export const scheduleFingerprint = (schedule: BillingSchedule): string =>
  schedule.map((s) => `${s.start}-${Number.isFinite(s.end) ? s.end : 'open'}:${s.cycle.count}${s.cycle.interval}`).join(',');
