/**
 * Billing periods. A customer's usage is bucketed into the cycles of their subscription, anchored at
 * the subscription's start, with Stripe's calendar arithmetic: every boundary is computed from the
 * anchor (never from the previous boundary), and a day of month the target month lacks is clamped to
 * its last day. A subscription started on 31 January renews on 28 (or 29) February, 31 March, 30 April.
 * Where no subscription covers an instant, the period is the UTC calendar month, cut where a
 * subscription starts or ends, so periods never overlap. All instants are epoch milliseconds, UTC.
 */
export type CycleInterval = 'day' | 'week' | 'month' | 'year';
export const CYCLE_INTERVALS: readonly CycleInterval[] = ['day', 'week', 'month', 'year'];

/** Stripe allows at most three years between renewals. */
export const MAX_INTERVAL_COUNT: Readonly<Record<CycleInterval, number>> = { day: 1095, week: 156, month: 36, year: 3 };

export interface Cycle {
  /** The subscription's start: the first period begins here. */
  readonly anchor: number;
  readonly interval: CycleInterval;
  readonly count: number;
}

/** A billing period: [start, end), epoch milliseconds. */
export interface BillingPeriod {
  readonly start: number;
  readonly end: number;
}

/** A stretch of time one subscription governs: [start, end), end Infinity while it runs. */
export interface ScheduleSegment {
  readonly start: number;
  readonly end: number;
  readonly cycle: Cycle;
}

/** A customer's subscriptions as non-overlapping segments, in time order. Empty: calendar months. */
export type BillingSchedule = readonly ScheduleSegment[];

const DAY_MS = 86_400_000;

const daysInMonth = (year: number, month: number): number => new Date(Date.UTC(year, month + 1, 0)).getUTCDate();

/** The k-th boundary of a cycle (k = 0 is the anchor). */
export function cycleBoundary(cycle: Cycle, k: number): number {
  switch (cycle.interval) {
    case 'day':
      return cycle.anchor + k * cycle.count * DAY_MS;
    case 'week':
      return cycle.anchor + k * cycle.count * 7 * DAY_MS;
    case 'month':
    case 'year': {
      const a = new Date(cycle.anchor);
      const months = k * cycle.count * (cycle.interval === 'year' ? 12 : 1);
      const total = a.getUTCMonth() + months;
      const year = a.getUTCFullYear() + Math.floor(total / 12);
      const month = ((total % 12) + 12) % 12;
      const day = Math.min(a.getUTCDate(), daysInMonth(year, month));
      return Date.UTC(year, month, day, a.getUTCHours(), a.getUTCMinutes(), a.getUTCSeconds(), a.getUTCMilliseconds());
    }
  }
}

/** The cycle period containing `at` (at >= anchor). */
export function cyclePeriodAt(cycle: Cycle, at: number): BillingPeriod {
  let k: number;
  if (cycle.interval === 'day' || cycle.interval === 'week') {
    const length = cycleBoundary(cycle, 1) - cycle.anchor;
    k = Math.floor((at - cycle.anchor) / length);
  } else {
    const a = new Date(cycle.anchor);
    const t = new Date(at);
    const months = (t.getUTCFullYear() - a.getUTCFullYear()) * 12 + (t.getUTCMonth() - a.getUTCMonth());
    k = Math.floor(months / (cycle.count * (cycle.interval === 'year' ? 12 : 1)));
  }
  while (cycleBoundary(cycle, k) > at) k--;
  while (cycleBoundary(cycle, k + 1) <= at) k++;
  return { start: cycleBoundary(cycle, k), end: cycleBoundary(cycle, k + 1) };
}

/** The UTC calendar month containing `at`. */
export function calendarMonthAt(at: number): BillingPeriod {
  const d = new Date(at);
  return { start: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1), end: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) };
}

/** The billing period `at` falls in, under a customer's schedule. */
export function billingPeriodAt(schedule: BillingSchedule, at: number): BillingPeriod {
  let gapStart = Number.NEGATIVE_INFINITY;
  let gapEnd = Number.POSITIVE_INFINITY;
  for (const segment of schedule) {
    if (segment.start <= at && at < segment.end) {
      const cycle = cyclePeriodAt(segment.cycle, at);
      return { start: cycle.start, end: Math.min(cycle.end, segment.end) };
    }
    if (segment.end <= at) gapStart = Math.max(gapStart, segment.end);
    else if (segment.start > at) gapEnd = Math.min(gapEnd, segment.start);
  }
  const month = calendarMonthAt(at);
  return { start: Math.max(month.start, gapStart), end: Math.min(month.end, gapEnd) };
}

/**
 * A period closes one hour after it ends: Stripe finalizes a renewal invoice about an hour after the
 * period's end, and usage reported within that hour still makes it onto the invoice.
 */
export const PERIOD_CLOSE_GRACE_MS = 3_600_000;

/**
 * Whether an event arrived after its period had closed. Decided from the event's own receivedAt,
 * which the log keeps, never from the wall clock: a replay decides exactly as the first run did.
 */
export const arrivedAfterClose = (period: BillingPeriod, receivedAt: number): boolean => receivedAt >= period.end + PERIOD_CLOSE_GRACE_MS;
