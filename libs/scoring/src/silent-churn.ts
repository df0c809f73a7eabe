import type { BillingSegment } from './billing';
import { type Interval, normalize } from './intervals';
import type { Span } from './spans';

/** A time an account was silent, and what it was silent since. */
export interface SilentInterval extends Interval {
  /** Silence is counted from here: the last product event, or the start of billing when later. */
  readonly anchor: number;
  /** The last product event before the silence (it may predate the billing), or null when none. */
  readonly lastActivity: { readonly at: number; readonly eventId: string } | null;
}

/** When billing is active: active or past_due with MRR above 0, over event time. */
export const payingIntervals = (billing: readonly BillingSegment[]): Interval[] =>
  normalize(billing.filter((s) => s.state.paying).map(({ start, end }) => ({ start, end })));

/**
 * Silent churn, as intervals of event time: billing is active and there has been no product event in
 * the last `windowMs`. An account is silent at t when t - anchor >= windowMs, where anchor is its
 * last product event at or before t, or the start of its current billing-active run when that is
 * later (a new account gets the window to show activity). Exactly one window after the last event it
 * is silent; the next product event (or the end of active billing) ends the interval.
 */
export function silentIntervals(billing: readonly BillingSegment[], activity: readonly Span[], windowMs: number): SilentInterval[] {
  const out: SilentInterval[] = [];
  for (const run of payingIntervals(billing)) {
    let anchor = run.start;
    let last: Span | null = null;
    let k = 0;
    for (; k < activity.length && activity[k]!.e < run.start; k++) last = activity[k]!;
    for (; k < activity.length && activity[k]!.s < run.end; k++) {
      const span = activity[k]!;
      const start = anchor + windowMs;
      const end = Math.min(span.s, run.end);
      if (start < end) out.push({ start, end, anchor, lastActivity: last === null ? null : { at: last.e, eventId: last.id } });
      if (span.e > anchor) anchor = span.e;
      last = span;
    }
    const start = anchor + windowMs;
    if (start < run.end) out.push({ start, end: run.end, anchor, lastActivity: last === null ? null : { at: last.e, eventId: last.id } });
  }
  return out;
}
