import { assertNever, type DomainEvent, type JsonValue, PoisonEventError, REVLINT_USAGE_LIMIT_KEYS } from '@revstream/events';
import {
  type ItemsFact,
  type PlanObservation,
  type PulsoraFact,
  pulsoraEffect,
  pulsoraPlanObservation,
  type StatusFact,
  type SubscriptionFacts,
  valuedItems,
  valuedPlanSync,
  valuedStatus,
} from './billing';
import { applySettingsChange, parseSettingsChange, type SettingsFacts } from './settings';
import { bucketEntries, bucketGet, type Buckets, bucketSet } from './buckets';
import { addSpan, type Span } from './spans';
import { compareStamps, dayOf, hourOf, latest, type Stamp, toMs } from './time';
import { MrrInputError } from '@revstream/mrr';

/** The event types the cohort scorer reads. */
export const COHORT_EVENT_TYPES = [
  'revlint.product_event',
  'pulsora.pageview',
  'pulsora.event',
  'pulsora.identify',
  'pulsora.revenue',
  'valued.revenue',
  'clock.tick',
  'catalog.cohort_settings_changed',
] as const;
export type CohortEventType = (typeof COHORT_EVENT_TYPES)[number];
export type CohortEvent = DomainEvent<CohortEventType>;

/** The product event type that proves premium feature use (seed 000). */
export const PREMIUM_FEATURE_EVENT = 'PREMIUM_FEATURE_USED';
/** Limit reports below this percent are not kept: no threshold can be set lower (settings.ts). */
export const MIN_LIMIT_BAND = 50;

/** What a limit report showed: the pair of properties it was read from, and their values. */
export interface LimitEvidence {
  readonly usage: number;
  readonly limit: number;
  readonly usageKey: string;
  readonly limitKey: string;
}

export interface PremiumEvidence {
  readonly feature: string | null;
  /** The plan the product event itself named (`properties.plan`), for the record. */
  readonly plan: string | null;
}

/** Everything the scorer knows about one customer id: each field is a join of facts. */
export interface CustomerFacts {
  /** Valued subscriptions, by source_key. */
  readonly subscriptions: Readonly<Record<string, SubscriptionFacts>>;
  /** Pulsora revenue facts, by transaction id (the source's idempotency key) or event id. */
  readonly pulsora: Readonly<Record<string, PulsoraFact>>;
  /** Product events, as spans (spans.ts). */
  readonly activity: readonly Span[];
  /** Active hours per UTC day: day number -> 24-bit mask of the hours with a product event, in 32-day blocks. */
  readonly hours: Buckets<number>;
  /** Limit reports at or above MIN_LIMIT_BAND, as spans per whole percent of the limit (50..100). */
  readonly limits: Readonly<Record<string, readonly Span<LimitEvidence>[]>>;
  /** PREMIUM_FEATURE_USED events, as spans. */
  readonly premium: readonly Span<PremiumEvidence>[];
}

export interface PlanFact extends Stamp, PlanObservation {}

/** An external id (app user id, Valued customer id) seen with a Stripe customer id. */
export interface AliasFact extends Stamp {
  readonly customerId: string;
}

/**
 * The cohort scorer's state for one tenant: facts only, each kept as a join (a max, a union, spans),
 * so applying events in any order, in any batches, any number of times, gives the same state; the
 * cohorts are derived from it (score-tenant.ts). Time is part of the state too: `now` is the latest
 * clock reading in the log.
 */
export interface TenantFacts {
  readonly tenantId: string;
  /** The latest clock.tick `at` or event `receivedAt` (epoch ms): Revstream's own clock readings, both in the log. */
  readonly now: number | null;
  readonly settings: SettingsFacts;
  /** The tenant's plans: `<currency>|<plan>` -> the latest observation. */
  readonly plans: Readonly<Record<string, PlanFact>>;
  /** External id -> the Stripe customer it was last seen with (bucketed by hash). */
  readonly aliases: Buckets<AliasFact>;
  /** Customer id -> its facts (bucketed by hash). */
  readonly customers: Buckets<CustomerFacts>;
}

/** The block of 32 days a day's active hours are kept in. */
export const dayBlock = (day: string): string => String(Math.floor(Number(day) / 32));

export const customerFactsOf = (state: TenantFacts, customerId: string): CustomerFacts | undefined => bucketGet(state.customers, customerId);

/** Active hours per day (day number -> mask), flattened. */
export const hoursOf = (facts: CustomerFacts): Array<[string, number]> => bucketEntries(facts.hours);

export const emptyTenantFacts = (tenantId = ''): TenantFacts => ({ tenantId, now: null, settings: {}, plans: {}, aliases: {}, customers: {} });

export const EMPTY_CUSTOMER: CustomerFacts = { subscriptions: {}, pulsora: {}, activity: [], hours: {}, limits: {}, premium: [] };

// ---------------------------------------------------------------------------------------------

const text = (v: JsonValue | undefined | null): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

function numeric(v: JsonValue | undefined): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  return null;
}

/** The whole percent of the limit a usage reaches (floor), capped at 100; exact for integer inputs. */
export function limitBand(usage: number, limit: number): number {
  let p = Math.floor((usage * 100) / limit);
  while (p > 0 && p * limit > usage * 100) p--;
  while ((p + 1) * limit <= usage * 100) p++;
  return Math.min(100, p);
}

/** The usage/limit pairs a product event reports (REVLINT_USAGE_LIMIT_KEYS), with a positive limit. */
export function limitReports(properties: Readonly<Record<string, JsonValue>>): LimitEvidence[] {
  const out: LimitEvidence[] = [];
  for (const [usageKey, limitKey] of REVLINT_USAGE_LIMIT_KEYS) {
    const usage = numeric(properties[usageKey]);
    const limit = numeric(properties[limitKey]);
    if (usage !== null && limit !== null && limit > 0 && usage >= 0) out.push({ usage, limit, usageKey, limitKey });
  }
  return out;
}

function insertSorted<T extends Stamp>(list: readonly T[], fact: T): readonly T[] {
  const i = list.findIndex((x) => compareStamps(x, fact) >= 0);
  if (i >= 0 && compareStamps(list[i]!, fact) === 0) return list;
  return i < 0 ? [...list, fact] : [...list.slice(0, i), fact, ...list.slice(i)];
}

type CustomerUpdate = (c: CustomerFacts) => CustomerFacts;

function updateCustomer(state: TenantFacts, customerId: string, update: CustomerUpdate): TenantFacts {
  const before = bucketGet(state.customers, customerId) ?? EMPTY_CUSTOMER;
  const after = update(before);
  return after === before ? state : { ...state, customers: bucketSet(state.customers, customerId, after) };
}

function addActivity(at: number, id: string): CustomerUpdate {
  return (c) => {
    const activity = addSpan(c.activity, { s: at, e: at, id, ev: null });
    const day = String(dayOf(at));
    const was = bucketGet(c.hours, day, dayBlock);
    const mask = (was ?? 0) | (1 << hourOf(at));
    const hours = mask === was ? c.hours : bucketSet(c.hours, day, mask, dayBlock);
    return activity === c.activity && hours === c.hours ? c : { ...c, activity, hours };
  };
}

function addPlans(state: TenantFacts, observations: readonly PlanObservation[], stamp: Stamp): TenantFacts {
  let plans = state.plans;
  for (const o of observations) {
    const key = `${o.currency}|${o.plan}`;
    const next = latest(plans[key], { ...o, at: stamp.at, id: stamp.id });
    if (next !== plans[key]) plans = { ...plans, [key]: next };
  }
  return plans === state.plans ? state : { ...state, plans };
}

function addAlias(state: TenantFacts, alias: string | null, customerId: string | null, stamp: Stamp): TenantFacts {
  if (alias === null || customerId === null || alias === customerId) return state;
  const was = bucketGet(state.aliases, alias);
  const next = latest(was, { customerId, at: stamp.at, id: stamp.id });
  return next === was ? state : { ...state, aliases: bucketSet(state.aliases, alias, next) };
}

function poison(error: unknown): never {
  if (error instanceof MrrInputError) throw new PoisonEventError('invalid_body', error.message);
  throw error;
}

/**
 * Joins one event into a tenant's facts. Pure; a body the rules cannot read throws PoisonEventError
 * (the adapter dead-letters the event and leaves the state as it was).
 */
export function recordEvent(state: TenantFacts, event: CohortEvent): TenantFacts {
  const { metadata } = event;
  const stamp: Stamp = { at: toMs(metadata.occurredAt), id: metadata.eventId };
  const heard = Math.max(toMs(metadata.receivedAt), event.type === 'clock.tick' ? toMs(event.data.at) : -Infinity);
  let next: TenantFacts = state.tenantId === metadata.tenantId ? state : { ...state, tenantId: metadata.tenantId };
  if (next.now === null || heard > next.now) next = { ...next, now: heard };
  const customerId = metadata.customerId;

  switch (event.type) {
    case 'clock.tick':
      return next;
    case 'catalog.cohort_settings_changed': {
      const { changes, problems } = parseSettingsChange(event.data);
      if (problems.length > 0) throw new PoisonEventError('invalid_body', problems.join('; '));
      const settings = applySettingsChange(next.settings, changes, stamp);
      return { ...next, settings };
    }
    case 'revlint.product_event': {
      const { data } = event;
      next = addAlias(next, text(data.externalUserId), text(data.stripeCustomerId), stamp);
      if (customerId === null) return next;
      return updateCustomer(next, customerId, (c0) => {
        let c = addActivity(stamp.at, stamp.id)(c0);
        for (const report of limitReports(data.properties)) {
          const band = limitBand(report.usage, report.limit);
          if (band < MIN_LIMIT_BAND) continue;
          const spans = c.limits[String(band)] ?? [];
          const added = addSpan(spans, { s: stamp.at, e: stamp.at, id: stamp.id, ev: report });
          if (added !== spans) c = { ...c, limits: { ...c.limits, [String(band)]: added } };
        }
        if (data.type === PREMIUM_FEATURE_EVENT) {
          const premium = addSpan(c.premium, { s: stamp.at, e: stamp.at, id: stamp.id, ev: { feature: text(data.properties.feature), plan: text(data.properties.plan) } });
          if (premium !== c.premium) c = { ...c, premium };
        }
        return c;
      });
    }
    case 'pulsora.pageview':
    case 'pulsora.event':
    case 'pulsora.identify':
      return customerId === null ? next : updateCustomer(next, customerId, addActivity(stamp.at, stamp.id));
    case 'pulsora.revenue': {
      let effect;
      try {
        effect = pulsoraEffect(event.data);
      } catch (error) {
        poison(error);
      }
      const observed = pulsoraPlanObservation(effect);
      if (observed !== null) next = addPlans(next, [observed], stamp);
      if (customerId === null) return next;
      const factId = metadata.idempotencyKey ?? metadata.eventId;
      return updateCustomer(next, customerId, (c) => {
        const fact = latest(c.pulsora[factId], { ...effect, at: stamp.at, id: stamp.id });
        return fact === c.pulsora[factId] ? c : { ...c, pulsora: { ...c.pulsora, [factId]: fact } };
      });
    }
    case 'valued.revenue': {
      const { data } = event;
      let observed: PlanObservation[];
      let items: ReturnType<typeof valuedItems> | null;
      let status: ReturnType<typeof valuedStatus> | null;
      try {
        observed = valuedPlanSync(data);
        items = Array.isArray(data.subscription_items) ? valuedItems(data.subscription_items) : null;
        status = data.subscription ? valuedStatus(data.subscription) : null;
      } catch (error) {
        poison(error);
      }
      next = addPlans(next, [...observed, ...(items?.plans ?? [])], stamp);
      next = addAlias(next, text(data.customer?.id), text(data.customer?.stripe_customer_id), stamp);
      const subKey = text(data.subscription?.source_key);
      if (customerId === null || subKey === null) return next;
      return updateCustomer(next, customerId, (c) => {
        const sub = c.subscriptions[subKey] ?? { status: [], items: [] };
        const statusFacts = status === null ? sub.status : insertSorted<StatusFact>(sub.status, { ...status, ...stamp });
        const itemFacts = items === null ? sub.items : insertSorted<ItemsFact>(sub.items, { items: items.items, ...stamp });
        if (statusFacts === sub.status && itemFacts === sub.items) return c;
        return { ...c, subscriptions: { ...c.subscriptions, [subKey]: { status: statusFacts, items: itemFacts } } };
      });
    }
    default:
      return assertNever(event, 'event');
  }
}

// ---------------------------------------------------------------------------------------------
// Customers under one identity.

function joinSorted<T extends Stamp>(a: readonly T[], b: readonly T[]): readonly T[] {
  return b.reduce<readonly T[]>((acc, f) => insertSorted(acc, f), a);
}

/** Joins two customers' facts (used to fold an alias's facts into the Stripe customer it names). */
export function joinCustomerFacts(a: CustomerFacts, b: CustomerFacts): CustomerFacts {
  const subscriptions: Record<string, SubscriptionFacts> = { ...a.subscriptions };
  for (const key of Object.keys(b.subscriptions).sort()) {
    const x = subscriptions[key];
    const y = b.subscriptions[key]!;
    subscriptions[key] = x === undefined ? y : { status: joinSorted(x.status, y.status), items: joinSorted(x.items, y.items) };
  }
  const pulsora: Record<string, PulsoraFact> = { ...a.pulsora };
  for (const key of Object.keys(b.pulsora).sort()) pulsora[key] = latest(pulsora[key], b.pulsora[key]!);
  let hours = a.hours;
  for (const [day, mask] of bucketEntries(b.hours)) hours = bucketSet(hours, day, (bucketGet(hours, day, dayBlock) ?? 0) | mask, dayBlock);
  const limits: Record<string, readonly Span<LimitEvidence>[]> = { ...a.limits };
  for (const band of Object.keys(b.limits).sort()) limits[band] = b.limits[band]!.reduce((acc, s) => addSpan(acc, s), limits[band] ?? []);
  return {
    subscriptions,
    pulsora,
    activity: b.activity.reduce((acc, s) => addSpan(acc, s), a.activity),
    hours,
    limits,
    premium: b.premium.reduce((acc, s) => addSpan(acc, s), a.premium),
  };
}

/**
 * The tenant's customers under one identity each: facts recorded under an external id that was seen
 * with a Stripe customer id (a product event carrying both, a Valued customer with
 * stripe_customer_id) are joined into that Stripe customer. Sorted by id.
 */
export function canonicalCustomers(state: TenantFacts): Array<{ customerId: string; facts: CustomerFacts }> {
  const byId = new Map<string, CustomerFacts>();
  for (const [id, facts] of bucketEntries(state.customers)) {
    const canonical = bucketGet(state.aliases, id)?.customerId ?? id;
    const existing = byId.get(canonical);
    byId.set(canonical, existing === undefined ? facts : joinCustomerFacts(existing, facts));
  }
  return [...byId.keys()].sort().map((customerId) => ({ customerId, facts: byId.get(customerId)! }));
}
