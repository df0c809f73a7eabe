import { type PulsoraRevenueData, type SubscriptionStatus, type ValuedRevenueData, type ValuedSubscriptionItem } from '@revstream/events';
import { normalizeCurrency } from '@revstream/money';
import {
  countsTowardMrr,
  itemMonthlyAmount,
  MrrInputError,
  normalizePrice,
  type Price,
  pulsoraEffect as mrrPulsoraEffect,
  quantityOf,
  roundToMinor,
} from '@revstream/mrr';
import type { Interval } from './intervals';
import { compareStamps, compareText, type Stamp } from './time';

/**
 * The minimal billing the cohorts need: is an account paying (active or past_due, with MRR above 0),
 * on which plan, and what each plan costs a month. Prices, quantities, monthly normalization and
 * Pulsora's effects are libs/mrr's rules (the billing projector's own), so both read an event the same
 * way and refuse the same bodies (`MrrInputError`); this module only keeps what the cohorts remember.
 */
/** A price's monthly amount at a quantity, rounded once to whole minor units (0 for one-time and metered prices). */
const monthlyAt = (price: Price, quantity: number): number => Number(roundToMinor(itemMonthlyAmount(price, quantity)));

const currencyOf = (value: unknown, path: string): string => {
  try {
    return normalizeCurrency(String(value ?? ''));
  } catch {
    throw new MrrInputError(path, `must be an ISO 4217 code, got ${JSON.stringify(value)}`);
  }
};

/** A plan as a tenant's price ladder sees it: what one unit costs a month. */
export interface PlanObservation {
  readonly plan: string;
  readonly currency: string;
  readonly monthlyPrice: number;
  readonly active: boolean;
  readonly name: string | null;
}

/** One subscription item: its plan, and the MRR it adds. */
export interface ItemFact {
  readonly plan: string | null;
  readonly currency: string | null;
  readonly mrr: number;
}

const text = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

function observe(plan: string | null, price: Price, active: boolean, name: string | null): PlanObservation | null {
  if (plan === null || price.interval === null || price.metered) return null;
  return { plan, currency: price.currency, monthlyPrice: monthlyAt(price, 1), active, name };
}

/** The items of a Valued subscription snapshot, and the plans they show. */
export function valuedItems(items: readonly ValuedSubscriptionItem[]): { items: ItemFact[]; plans: PlanObservation[] } {
  const out: ItemFact[] = [];
  const plans: PlanObservation[] = [];
  items.forEach((item, i) => {
    const path = `subscription_items[${i}]`;
    const rawPrice = item.price ?? item.plan?.price ?? null;
    const price = rawPrice === null ? null : normalizePrice(rawPrice, item.price ? `${path}.price` : `${path}.plan.price`);
    const plan = text(item.plan?.source_key) ?? text(item.plan?.id) ?? text(rawPrice?.plan) ?? text(rawPrice?.source_key) ?? text(rawPrice?.id);
    const quantity = quantityOf(item.quantity, `${path}.quantity`);
    const mrr = price === null ? 0 : monthlyAt(price, quantity);
    out.push({ plan, currency: price?.currency ?? null, mrr });
    if (price !== null) {
      const seen = observe(plan, price, item.plan?.active !== false && rawPrice?.active !== false, text(item.plan?.name));
      if (seen !== null) plans.push(seen);
    }
  });
  return { items: out, plans };
}

/** A plan and price sync (`{plan, price}` without a subscription, or alongside one). */
export function valuedPlanSync(data: Pick<ValuedRevenueData, 'plan' | 'price'>): PlanObservation[] {
  const rawPrice = data.price ?? data.plan?.price ?? null;
  if (rawPrice === null) return [];
  const price = normalizePrice(rawPrice, data.price ? 'price' : 'plan.price');
  const plan = text(data.plan?.source_key) ?? text(data.plan?.id) ?? text(rawPrice.plan) ?? text(rawPrice.id) ?? text(rawPrice.source_key);
  const seen = observe(plan, price, data.plan?.active !== false && rawPrice.active !== false, text(data.plan?.name));
  return seen === null ? [] : [seen];
}

export function valuedStatus(subscription: NonNullable<ValuedRevenueData['subscription']>): { status: SubscriptionStatus; currency: string } {
  return { status: subscription.status, currency: currencyOf(subscription.currency, 'subscription.currency') };
}

/**
 * What one Pulsora revenue event does to a subscription's MRR (libs/mrr `pulsoraEffect`):
 * add (mrr_impact, authoritative), set (a subscription/renewal/upgrade/downgrade amount per its
 * interval, or 0 on a churn naming the subscription), clear (a churn naming none: all of the
 * customer's Pulsora subscriptions in the currency), none (refunds, one-off purchases).
 */
export type PulsoraEffectKind = 'add' | 'set' | 'clear' | 'none';

export interface PulsoraEffect {
  readonly kind: PulsoraEffectKind;
  readonly subscription: string | null;
  readonly currency: string;
  /** Minor units: the monthly delta (add) or the monthly amount (set). */
  readonly amount: number;
  readonly plan: string | null;
}

/** libs/mrr's effect, in whole minor units, with the plan the event names. */
export function pulsoraEffect(data: PulsoraRevenueData): PulsoraEffect {
  const effect = mrrPulsoraEffect(data);
  const plan = text(data.metadata?.plan);
  const subscription = text(data.customer_subscription_id);
  switch (effect.kind) {
    case 'add':
      return { kind: 'add', subscription, currency: effect.currency, amount: Number(roundToMinor(effect.delta)), plan };
    case 'set':
      return { kind: 'set', subscription, currency: effect.currency, amount: Number(roundToMinor(effect.monthly)), plan };
    case 'clear':
      return { kind: 'clear', subscription: null, currency: effect.currency, amount: 0, plan };
    case 'none':
      return { kind: 'none', subscription, currency: effect.currency, amount: 0, plan };
  }
}

/** Pulsora has no catalog: a plan's price is the monthly amount of the latest subscription event naming it. */
export function pulsoraPlanObservation(effect: PulsoraEffect): PlanObservation | null {
  return effect.kind === 'set' && effect.plan !== null && effect.amount > 0
    ? { plan: effect.plan, currency: effect.currency, monthlyPrice: effect.amount, active: true, name: null }
    : null;
}

// ---------------------------------------------------------------------------------------------
// A customer's billing over event time.

export interface StatusFact extends Stamp {
  readonly status: SubscriptionStatus;
  readonly currency: string;
}

export interface ItemsFact extends Stamp {
  readonly items: readonly ItemFact[];
}

/** One Valued subscription: its status snapshots and its item-set snapshots, each sorted by stamp. */
export interface SubscriptionFacts {
  readonly status: readonly StatusFact[];
  readonly items: readonly ItemsFact[];
}

export interface PulsoraFact extends Stamp, PulsoraEffect {}

export interface BillingState {
  /** Billing active: a subscription active or past_due with MRR above 0. */
  readonly paying: boolean;
  readonly status: string | null;
  /** The plan of the paying subscription with the highest MRR (its highest-MRR item). */
  readonly plan: string | null;
  readonly currency: string | null;
  readonly mrr: number;
}

export interface BillingSegment extends Interval {
  readonly state: BillingState;
}

export const NOT_PAYING: BillingState = { paying: false, status: null, plan: null, currency: null, mrr: 0 };

const sameState = (a: BillingState, b: BillingState): boolean =>
  a.paying === b.paying && a.status === b.status && a.plan === b.plan && a.currency === b.currency && a.mrr === b.mrr;

interface Candidate {
  key: string;
  paying: boolean;
  status: string;
  plan: string | null;
  currency: string;
  mrr: number;
  statusAt: Stamp;
}

function pick(candidates: readonly Candidate[]): BillingState {
  const paying = candidates.filter((c) => c.paying).sort((a, b) => b.mrr - a.mrr || compareText(a.key, b.key));
  const best = paying[0];
  if (best !== undefined) return { paying: true, status: best.status, plan: best.plan, currency: best.currency, mrr: best.mrr };
  const last = [...candidates].sort((a, b) => compareStamps(b.statusAt, a.statusAt) || compareText(a.key, b.key))[0];
  return last === undefined ? NOT_PAYING : { paying: false, status: last.status, plan: null, currency: null, mrr: 0 };
}

/**
 * A customer's billing as segments of event time: facts are replayed in stamp order, so late facts
 * land where they belong and the segments depend only on the facts. Before the first fact: not paying.
 */
export function billingTimeline(subscriptions: Readonly<Record<string, SubscriptionFacts>>, pulsora: readonly PulsoraFact[]): BillingSegment[] {
  type Step = { stamp: Stamp; apply: () => void };
  const steps: Step[] = [];
  const valued = new Map<string, { status?: StatusFact; items?: ItemsFact }>();
  for (const key of Object.keys(subscriptions).sort()) {
    const facts = subscriptions[key]!;
    const current: { status?: StatusFact; items?: ItemsFact } = {};
    valued.set(key, current);
    for (const f of facts.status) steps.push({ stamp: f, apply: () => void (current.status = f) });
    for (const f of facts.items) steps.push({ stamp: f, apply: () => void (current.items = f) });
  }
  const pulsoraSubs = new Map<string, { mrr: number; plan: string | null; currency: string; at: Stamp }>();
  for (const f of pulsora) {
    steps.push({
      stamp: f,
      apply: () => {
        if (f.kind === 'clear') {
          for (const s of pulsoraSubs.values()) if (s.currency === f.currency) Object.assign(s, { mrr: 0, at: f });
          return;
        }
        if (f.kind === 'none') return;
        const key = `${f.subscription ?? ''}|${f.currency}`;
        const s = pulsoraSubs.get(key) ?? { mrr: 0, plan: null, currency: f.currency, at: f };
        s.mrr = f.kind === 'add' ? Math.max(0, s.mrr + f.amount) : f.amount;
        s.plan = f.plan ?? s.plan;
        s.at = f;
        pulsoraSubs.set(key, s);
      },
    });
  }
  steps.sort((a, b) => compareStamps(a.stamp, b.stamp));

  const segments: BillingSegment[] = [];
  for (let i = 0; i < steps.length; ) {
    const at = steps[i]!.stamp.at;
    while (i < steps.length && steps[i]!.stamp.at === at) steps[i++]!.apply();
    const candidates: Candidate[] = [];
    for (const [key, sub] of valued) {
      if (sub.status === undefined) continue;
      const items = (sub.items?.items ?? []).filter((it) => it.currency === sub.status!.currency);
      const mrr = items.reduce((s, it) => s + it.mrr, 0);
      const top = [...items].sort((a, b) => b.mrr - a.mrr || compareText(a.plan ?? '\uffff', b.plan ?? '\uffff'))[0];
      candidates.push({
        key: `v:${key}`,
        paying: countsTowardMrr(sub.status.status) && mrr > 0, // active and past_due
        status: sub.status.status,
        plan: top?.plan ?? null,
        currency: sub.status.currency,
        mrr,
        statusAt: sub.status,
      });
    }
    for (const [key, s] of pulsoraSubs) {
      candidates.push({ key: `p:${key}`, paying: s.mrr > 0, status: s.mrr > 0 ? 'active' : 'canceled', plan: s.plan, currency: s.currency, mrr: s.mrr, statusAt: s.at });
    }
    const state = pick(candidates);
    const last = segments[segments.length - 1];
    if (last !== undefined && sameState(last.state, state)) continue;
    if (last !== undefined) segments[segments.length - 1] = { ...last, end: at };
    segments.push({ start: at, end: Infinity, state });
  }
  return segments.filter((s) => s.state.paying || s.state.status !== null);
}

/** The billing state at an instant. */
export function billingAt(segments: readonly BillingSegment[], at: number): BillingState {
  let lo = 0;
  let hi = segments.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = segments[mid]!;
    if (at < s.start) hi = mid - 1;
    else if (at >= s.end) lo = mid + 1;
    else return s.state;
  }
  return NOT_PAYING;
}
