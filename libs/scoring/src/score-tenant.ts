import type { JsonValue } from '@revstream/events';
import { formatMinorUnits } from '@revstream/money';
import { billingAt, type BillingSegment, type BillingState, billingTimeline } from './billing';
import { expansionIntervals, expansionSignalsAt } from './expansion-ready';
import { ActiveHours, highUsageDays } from './high-usage';
import { PlanLadder, type PlanRung } from './ladder';
import { type CohortSettings, effectiveSettings } from './settings';
import { silentIntervals } from './silent-churn';
import { lastSpanAtOrBefore } from './spans';
import { canonicalCustomers, hoursOf, type TenantFacts } from './tenant-facts';
import { compareText, DAY_MS, dayOf, toIso } from './time';

export type CohortName = 'expansion_ready' | 'silent_churn';
export const COHORT_NAMES: readonly CohortName[] = ['expansion_ready', 'silent_churn'];

export type ReasonCode = 'billing_active' | 'no_recent_activity' | 'paying_on_lower_tier' | 'usage_limit' | 'premium_feature' | 'high_usage';

/** Why an account is in a cohort: a rule, a sentence for people, and the evidence for machines. */
export interface Reason {
  readonly code: ReasonCode;
  readonly detail: string;
  readonly evidence: { readonly [key: string]: JsonValue };
}

/**
 * One time an account was in a cohort: entered at `enteredAt`, left at `exitedAt` (null: still in).
 * Score and reasons are as of the last instant of the membership (now, for a current one).
 */
export interface Membership {
  readonly cohort: CohortName;
  readonly customerId: string;
  readonly enteredAt: number;
  readonly exitedAt: number | null;
  readonly score: number;
  readonly reasons: readonly Reason[];
}

/** What the scorer knows of an account now. */
export interface AccountView {
  readonly customerId: string;
  readonly billing: BillingState;
  readonly lowerTier: boolean;
  readonly lastActivityAt: number | null;
  readonly lastActivityEventId: string | null;
  /** Active hours over the high-usage window (the complete UTC days before now's day). */
  readonly activeHours: number;
}

export interface TenantScores {
  readonly tenantId: string;
  /** The instant the memberships are evaluated at: the latest clock reading in the log. */
  readonly evaluatedAt: number | null;
  readonly settings: CohortSettings;
  readonly plans: readonly PlanRung[];
  readonly accounts: readonly AccountView[];
  readonly memberships: readonly Membership[];
}

/** A premium feature used on a lower plan weighs as much as using 80% of a limit. */
export const PREMIUM_FEATURE_SCORE = 80;

const money = (minor: number, currency: string | null): string => (currency === null ? String(minor) : `${formatMinorUnits(minor, currency)} ${currency}`);
const round2 = (x: number): number => Math.round(x * 100) / 100;
const ratio4 = (usage: number, limit: number): number => Math.round((usage / limit) * 10_000) / 10_000;

function billingReason(b: BillingState): Reason {
  return {
    code: 'billing_active',
    detail: `billing ${b.status ?? 'active'}: ${money(b.mrr, b.currency)} MRR${b.plan === null ? '' : ` on ${b.plan}`}`,
    evidence: { status: b.status, mrr: b.mrr, currency: b.currency, plan: b.plan },
  };
}

/**
 * Scores a tenant: its cohort memberships (current and past), accounts and plan ladder, from its
 * facts alone. Pure and deterministic: the same facts give the same result, byte for byte.
 */
export function scoreTenant(state: TenantFacts): TenantScores {
  const settings = effectiveSettings(state.settings);
  const ladder = new PlanLadder(state.plans);
  const now = state.now;
  if (now === null) return { tenantId: state.tenantId, evaluatedAt: null, settings, plans: ladder.all, accounts: [], memberships: [] };

  const customers = canonicalCustomers(state).map((c) => {
    const pulsora = Object.keys(c.facts.pulsora).sort().map((k) => c.facts.pulsora[k]!);
    return { ...c, billing: billingTimeline(c.facts.subscriptions, pulsora), hours: new ActiveHours(hoursOf(c.facts)) };
  });
  const today = dayOf(now);
  const high = highUsageDays(customers, ladder, settings, today);
  const memberships: Membership[] = [];
  const accounts: AccountView[] = [];

  for (const c of customers) {
    const highDays = high.get(c.customerId);
    memberships.push(...silentMemberships(c.customerId, c.billing, c.facts.activity, settings, now));

    for (const interval of expansionIntervals(c.billing, c.facts, highDays, ladder, settings)) {
      if (interval.start > now) continue;
      const exitedAt = interval.end <= now ? interval.end : null;
      const at = exitedAt === null ? now : exitedAt - 1;
      const b = billingAt(c.billing, at);
      const signals = expansionSignalsAt(at, c.facts, highDays, settings);
      const rung = ladder.rung(b.plan, b.currency)!;
      const topPrice = ladder.topPrice(b.currency)!;
      const topPlans = ladder.topPlans(b.currency);
      const reasons: Reason[] = [
        {
          code: 'paying_on_lower_tier',
          detail: `pays ${money(b.mrr, b.currency)} a month on ${b.plan} (${money(rung.monthlyPrice, b.currency)}/month), below the top plan ${topPlans.join(', ')} (${money(topPrice, b.currency)}/month)`,
          evidence: { status: b.status, mrr: b.mrr, currency: b.currency, plan: b.plan, planMonthlyPrice: rung.monthlyPrice, topPlans, topMonthlyPrice: topPrice },
        },
      ];
      let score = 0;
      if (signals.limit !== null) {
        const { span, band } = signals.limit;
        const r = ratio4(span.ev.usage, span.ev.limit);
        reasons.push({
          code: 'usage_limit',
          detail: `${span.ev.usageKey} ${span.ev.usage} of ${span.ev.limitKey} ${span.ev.limit} (${band}%) at ${toIso(span.e)}, threshold ${settings.limitThresholdPercent}% within ${settings.lookbackDays} days`,
          evidence: {
            eventId: span.id,
            occurredAt: toIso(span.e),
            usage: span.ev.usage,
            limit: span.ev.limit,
            usageKey: span.ev.usageKey,
            limitKey: span.ev.limitKey,
            ratio: r,
            thresholdPercent: settings.limitThresholdPercent,
            lookbackDays: settings.lookbackDays,
          },
        });
        score = Math.max(score, band);
      }
      if (signals.premium !== null) {
        const span = signals.premium;
        reasons.push({
          code: 'premium_feature',
          detail: `PREMIUM_FEATURE_USED${span.ev.feature === null ? '' : ` (${span.ev.feature})`} at ${toIso(span.e)} on ${b.plan}, within ${settings.lookbackDays} days`,
          evidence: { eventId: span.id, occurredAt: toIso(span.e), feature: span.ev.feature, eventPlan: span.ev.plan, lookbackDays: settings.lookbackDays },
        });
        score = Math.max(score, PREMIUM_FEATURE_SCORE);
      }
      if (signals.high !== null) {
        const h = signals.high;
        reasons.push({
          code: 'high_usage',
          detail: `active ${h.activeHours} hours in the last ${settings.highUsageWindowDays} days, at or above the ${settings.highUsagePercentile}th percentile (${round2(h.percentileValue)}) of ${h.peers} paying accounts on ${h.plan}`,
          evidence: {
            activeHours: h.activeHours,
            windowDays: settings.highUsageWindowDays,
            percentile: settings.highUsagePercentile,
            percentileValue: round2(h.percentileValue),
            peers: h.peers,
            rank: h.rank,
            minActiveHours: settings.highUsageMinActiveHours,
          },
        });
        score = Math.max(score, h.rank);
      }
      memberships.push({ cohort: 'expansion_ready', customerId: c.customerId, enteredAt: interval.start, exitedAt, score, reasons });
    }

    const b = billingAt(c.billing, now);
    const last = lastSpanAtOrBefore(c.facts.activity, now);
    accounts.push({
      customerId: c.customerId,
      billing: b,
      lowerTier: b.paying && ladder.isLowerTier(b.plan, b.currency),
      lastActivityAt: last?.e ?? null,
      lastActivityEventId: last?.id ?? null,
      activeHours: c.hours.between(today - settings.highUsageWindowDays, today),
    });
  }

  memberships.sort((a, b) => compareText(a.cohort, b.cohort) || compareText(a.customerId, b.customerId) || a.enteredAt - b.enteredAt);
  return { tenantId: state.tenantId, evaluatedAt: now, settings, plans: ladder.all, accounts, memberships };
}

function silentMemberships(
  customerId: string,
  billing: readonly BillingSegment[],
  activity: Parameters<typeof silentIntervals>[1],
  settings: CohortSettings,
  now: number,
): Membership[] {
  const out: Membership[] = [];
  for (const i of silentIntervals(billing, activity, settings.silentWindowDays * DAY_MS)) {
    if (i.start > now) continue;
    const exitedAt = i.end <= now ? i.end : null;
    const until = exitedAt ?? now;
    const b = billingAt(billing, exitedAt === null ? now : exitedAt - 1);
    const days = Math.floor((until - i.anchor) / DAY_MS);
    const sinceActivity = i.lastActivity !== null && i.lastActivity.at === i.anchor;
    out.push({
      cohort: 'silent_churn',
      customerId,
      enteredAt: i.start,
      exitedAt,
      score: days,
      reasons: [
        billingReason(b),
        {
          code: 'no_recent_activity',
          detail: sinceActivity
            ? `no product event for ${days} days, since ${toIso(i.anchor)} (window ${settings.silentWindowDays} days)`
            : `no product event in ${days} days of active billing, since ${toIso(i.anchor)} (window ${settings.silentWindowDays} days)`,
          evidence: {
            lastActivityAt: i.lastActivity === null ? null : toIso(i.lastActivity.at),
            lastActivityEventId: i.lastActivity?.eventId ?? null,
            silentSince: toIso(i.anchor),
            daysSilent: days,
            windowDays: settings.silentWindowDays,
          },
        },
      ],
    });
  }
  return out;
}
