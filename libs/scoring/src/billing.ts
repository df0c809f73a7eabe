import {
  type JsonObject,
  type PriceInterval,
  PRICE_INTERVALS,
  type PulsoraRevenueData,
  type SubscriptionStatus,
  type ValuedPrice,
  type ValuedRevenueData,
  type ValuedSubscriptionItem,
} from '@revstream/events';
import { normalizeCurrency, roundRational, toMinorUnits } from '@revstream/money';
import type { Interval } from './intervals';
import { compareStamps, compareText, type Stamp } from './time';

/**
 * The minimal billing the cohorts need: is an account paying (active or past_due, with MRR above 0),
 * on which plan, and what each plan costs a month. It follows the MRR rules of libs/mrr (prices at
 * quantity, graduated tiers by default, metered and one-time prices add nothing, exact monthly
 * normalization, Pulsora's add/set/clear effects) and should converge with it once libs/mrr is merged:
 * these functions are the seam to replace.
 */
export class BillingInputError extends Error {
  override readonly name = 'BillingInputError';
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
  }
}

/** Active and past_due count: past_due is a paying customer whose card failed once. */
export const isBillingActiveStatus = (status: SubscriptionStatus): boolean => status === 'active' || status === 'past_due';

interface Tier {
  readonly upTo: number | null;
  readonly unit: number;
  readonly flat: number;
}

interface Price {
  readonly currency: string;
  readonly tiers: readonly Tier[] | null;
  readonly volume: boolean;
  readonly unit: number;
  /** null: one-time or metered, adds no MRR and has no monthly price. */
  readonly interval: PriceInterval | null;
  readonly count: number;
}

function amount(value: unknown, path: string): number {
  if (value === null || value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new BillingInputError(path, `must be a non-negative integer of minor units, got ${JSON.stringify(value)}`);
  return value;
}

function currencyOf(value: unknown, path: string): string {
  try {
    return normalizeCurrency(String(value ?? ''));
  } catch {
    throw new BillingInputError(path, `must be an ISO 4217 code, got ${JSON.stringify(value)}`);
  }
}

function quantityOf(value: unknown, path: string): number {
  if (value === null || value === undefined) return 1;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new BillingInputError(path, `must be a non-negative integer, got ${JSON.stringify(value)}`);
  return value;
}

function normalizePrice(input: ValuedPrice, path: string): Price {
  if (input === null || typeof input !== 'object') throw new BillingInputError(path, 'must be an object');
  const currency = currencyOf(input.currency, `${path}.currency`);
  let interval: PriceInterval | null = null;
  let count = 1;
  if (input.type !== 'one_time' && input.interval !== null && input.interval !== undefined) {
    if (!PRICE_INTERVALS.includes(input.interval)) throw new BillingInputError(`${path}.interval`, `must be one of ${PRICE_INTERVALS.join(', ')}`);
    interval = input.interval;
    const c = input.interval_count;
    if (c !== null && c !== undefined && (typeof c !== 'number' || !Number.isSafeInteger(c) || c < 1)) throw new BillingInputError(`${path}.interval_count`, 'must be a positive integer');
    count = c ?? 1;
  }
  if (input.usage_type === 'metered') interval = null;
  if (Array.isArray(input.tiers) && input.tiers.length > 0) {
    const tiers = input.tiers.map((t, i) => {
      const unbounded = t.up_to === null || t.up_to === undefined || t.up_to === 'inf';
      if (!unbounded && (typeof t.up_to !== 'number' || !Number.isSafeInteger(t.up_to) || t.up_to < 1)) {
        throw new BillingInputError(`${path}.tiers[${i}].up_to`, 'must be a positive integer, null or "inf"');
      }
      return { upTo: unbounded ? null : (t.up_to as number), unit: amount(t.unit_amount, `${path}.tiers[${i}].unit_amount`), flat: amount(t.flat_amount, `${path}.tiers[${i}].flat_amount`) };
    });
    const sorted = [...tiers].sort((a, b) => (a.upTo ?? Infinity) - (b.upTo ?? Infinity));
    sorted[sorted.length - 1] = { ...sorted[sorted.length - 1]!, upTo: null };
    return { currency, tiers: sorted, volume: input.tiers_mode === 'volume', unit: 0, interval, count };
  }
  if ((input.unit_amount === null || input.unit_amount === undefined) && interval !== null) {
    throw new BillingInputError(`${path}.unit_amount`, 'a recurring licensed price needs unit_amount or tiers');
  }
  return { currency, tiers: null, volume: false, unit: amount(input.unit_amount, `${path}.unit_amount`), interval, count };
}

function priceAtQuantity(price: Price, quantity: number): bigint {
  const q = BigInt(quantity);
  if (q === 0n) return 0n;
  if (price.tiers === null) return BigInt(price.unit) * q;
  if (price.volume) {
    const tier = price.tiers.find((t) => t.upTo === null || q <= BigInt(t.upTo))!;
    return BigInt(tier.unit) * q + BigInt(tier.flat);
  }
  let total = 0n;
  let lower = 0n;
  for (const tier of price.tiers) {
    if (q <= lower) break;
    const upper = tier.upTo === null || BigInt(tier.upTo) > q ? q : BigInt(tier.upTo);
    total += (upper - lower) * BigInt(tier.unit) + BigInt(tier.flat);
    lower = upper;
  }
  return total;
}

/** One period's amount as one month's, rounded half away from zero to whole minor units. */
export function monthlyMinor(periodAmount: bigint, interval: PriceInterval, count: number): number {
  const c = BigInt(count);
  switch (interval) {
    case 'month':
      return Number(roundRational(periodAmount, c));
    case 'year':
      return Number(roundRational(periodAmount, 12n * c));
    case 'week':
      return Number(roundRational(periodAmount * 52n, 12n * c));
    case 'day':
      return Number(roundRational(periodAmount * 365n, 12n * c));
  }
}

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
  if (plan === null || price.interval === null) return null;
  return { plan, currency: price.currency, monthlyPrice: monthlyMinor(priceAtQuantity(price, 1), price.interval, price.count), active, name };
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
    const mrr = price === null || price.interval === null ? 0 : monthlyMinor(priceAtQuantity(price, quantity), price.interval, price.count);
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

function pulsoraInterval(metadata: JsonObject | null | undefined): { interval: PriceInterval; count: number } {
  const raw = metadata?.interval;
  switch (typeof raw === 'string' ? raw.trim().toLowerCase() : '') {
    case 'day':
    case 'daily':
      return { interval: 'day', count: 1 };
    case 'week':
    case 'weekly':
      return { interval: 'week', count: 1 };
    case 'quarter':
    case 'quarterly':
      return { interval: 'month', count: 3 };
    case 'year':
    case 'yearly':
    case 'annual':
    case 'annually':
      return { interval: 'year', count: 1 };
    default:
      return { interval: 'month', count: 1 };
  }
}

function minor(value: unknown, currency: string, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new BillingInputError(path, `must be a number, got ${JSON.stringify(value)}`);
  try {
    return toMinorUnits(value, currency);
  } catch (error) {
    throw new BillingInputError(path, error instanceof Error ? error.message : String(error));
  }
}

export function pulsoraEffect(data: PulsoraRevenueData): PulsoraEffect {
  const currency = currencyOf(data.currency ?? 'USD', 'currency');
  const subscription = text(data.customer_subscription_id);
  const plan = text(data.metadata?.plan);
  const eventType = data.event_type ?? null;
  if (eventType === 'refund') return { kind: 'none', subscription, currency, amount: 0, plan };
  if (data.mrr_impact !== null && data.mrr_impact !== undefined) {
    return { kind: 'add', subscription, currency, amount: minor(data.mrr_impact, currency, 'mrr_impact'), plan };
  }
  const paid = minor(data.amount, currency, 'amount');
  if (paid < 0) throw new BillingInputError('amount', 'must not be negative');
  const { interval, count } = pulsoraInterval(data.metadata);
  const monthly = monthlyMinor(BigInt(paid), interval, count);
  switch (eventType) {
    case 'subscription':
    case 'renewal':
    case 'upgrade':
    case 'downgrade':
      return { kind: 'set', subscription, currency, amount: monthly, plan };
    case 'churn':
      return subscription === null ? { kind: 'clear', subscription, currency, amount: 0, plan } : { kind: 'set', subscription, currency, amount: 0, plan };
    case 'purchase':
      return { kind: 'none', subscription, currency, amount: 0, plan };
    case null:
      return data.is_recurring === true ? { kind: 'set', subscription, currency, amount: monthly, plan } : { kind: 'none', subscription, currency, amount: 0, plan };
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
        paying: isBillingActiveStatus(sub.status.status) && mrr > 0,
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
