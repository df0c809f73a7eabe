import type { BillingSegment } from './billing';
import type { HighUsageEvidence } from './high-usage';
import { type Interval, intersect, normalize, union } from './intervals';
import type { PlanLadder } from './ladder';
import type { CohortSettings } from './settings';
import type { Span } from './spans';
import type { CustomerFacts, LimitEvidence, PremiumEvidence } from './tenant-facts';
import { compareStamps, DAY_MS } from './time';

/** When an account pays for a plan below the tenant's top plan (in its currency). */
export const lowerTierIntervals = (billing: readonly BillingSegment[], ladder: PlanLadder): Interval[] =>
  normalize(billing.filter((s) => s.state.paying && ladder.isLowerTier(s.state.plan, s.state.currency)).map(({ start, end }) => ({ start, end })));

/** A span's events count from the first until `lookback` after the last: within the lookback window. */
const spanReach = <E>(spans: readonly Span<E>[], lookbackMs: number): Interval[] => spans.map((s) => ({ start: s.s, end: s.e + lookbackMs }));

/** The limit spans of the bands at or above the threshold percent. */
export function qualifyingLimitSpans(facts: CustomerFacts, thresholdPercent: number): Array<{ band: number; span: Span<LimitEvidence> }> {
  const out: Array<{ band: number; span: Span<LimitEvidence> }> = [];
  for (const key of Object.keys(facts.limits)) {
    const band = Number(key);
    if (band >= thresholdPercent) for (const span of facts.limits[key]!) out.push({ band, span });
  }
  return out;
}

/**
 * Expansion-ready, as intervals of event time: paying on a lower tier, and at least one of
 *  - a limit report at or above `limitThresholdPercent` of its limit within the last `lookbackDays`;
 *  - a PREMIUM_FEATURE_USED event within the last `lookbackDays`;
 *  - high usage that day (high-usage.ts).
 * A report or premium use at t counts during [t, t + lookback).
 */
export function expansionIntervals(
  billing: readonly BillingSegment[],
  facts: CustomerFacts,
  highDays: ReadonlyMap<number, HighUsageEvidence> | undefined,
  ladder: PlanLadder,
  settings: CohortSettings,
): Interval[] {
  const lookbackMs = settings.lookbackDays * DAY_MS;
  const limit = spanReach(qualifyingLimitSpans(facts, settings.limitThresholdPercent).map((q) => q.span), lookbackMs);
  const premium = spanReach(facts.premium, lookbackMs);
  const high = [...(highDays?.keys() ?? [])].map((d) => ({ start: d * DAY_MS, end: (d + 1) * DAY_MS }));
  return intersect(lowerTierIntervals(billing, ladder), union(limit, premium, high));
}

export interface ExpansionSignals {
  readonly limit: { readonly band: number; readonly span: Span<LimitEvidence> } | null;
  readonly premium: Span<PremiumEvidence> | null;
  readonly high: HighUsageEvidence | null;
}

const within = <E>(span: Span<E>, at: number, lookbackMs: number): boolean => span.s <= at && at < span.e + lookbackMs;

/** Which expansion rules hold at an instant, each with its most recent evidence. */
export function expansionSignalsAt(
  at: number,
  facts: CustomerFacts,
  highDays: ReadonlyMap<number, HighUsageEvidence> | undefined,
  settings: CohortSettings,
): ExpansionSignals {
  const lookbackMs = settings.lookbackDays * DAY_MS;
  let limit: ExpansionSignals['limit'] = null;
  for (const q of qualifyingLimitSpans(facts, settings.limitThresholdPercent)) {
    if (!within(q.span, at, lookbackMs)) continue;
    const order = limit === null ? 1 : compareStamps({ at: q.span.e, id: q.span.id }, { at: limit.span.e, id: limit.span.id }) || q.band - limit.band;
    if (order > 0) limit = q;
  }
  let premium: Span<PremiumEvidence> | null = null;
  for (const span of facts.premium) {
    if (within(span, at, lookbackMs) && (premium === null || compareStamps({ at: span.e, id: span.id }, { at: premium.e, id: premium.id }) > 0)) premium = span;
  }
  const high = highDays?.get(Math.floor(at / DAY_MS)) ?? null;
  return { limit, premium, high };
}

