import {
  assertNever, type DocumentProjection, type DomainEvent, PoisonEventError, type PulsoraRevenueData, SUBSCRIPTION_STATUSES,
  type SubscriptionStatus, type ValuedInvoice, type ValuedPlan, type ValuedPrice, type ValuedRevenueData, type ValuedSubscription,
} from '@revstream/events';
import { normalizeCurrency } from '@revstream/money';
import {
  add, compareFacts, countsTowardMrr, formatRational, itemMonthlyAmount, MrrInputError, normalizePrice, pulsoraEffect, quantityOf,
  type Rational, roundToMinor, ZERO,
} from '@revstream/mrr';
import type {
  BillingDocument, CatalogDocument, CustomerDocument, Stamp, Stamped, StoredInvoice, StoredItem, StoredMrrFact, StoredSubscription,
} from './billing.state';

export type BillingEvent = DomainEvent<'valued.revenue' | 'pulsora.revenue'>;

const SUBSCRIPTION_DATE_FIELDS = ['started_at', 'current_period_start', 'current_period_end', 'trial_end', 'canceled_at', 'ended_at'] as const;

/** The largest MRR one fact may carry, in minor units: sums of many stay safe integers. */
const MAX_FACT_AMOUNT = 10n ** 13n;
/** 9999-12-31T23:59:59Z: Unix seconds past it are not a date. */
const MAX_UNIX_SECONDS = 253_402_300_799;

/** Event-time order: occurredAt, then event id as the tiebreak (the same order as compareFacts in @revstream/mrr). */
export const compareStamps = (a: Stamp, b: Stamp): number => compareFacts({ at: a.at, eventId: a.id }, { at: b.at, eventId: b.id });
const newer = (a: Stamp, b: Stamp | undefined | null): boolean => b === undefined || b === null || compareStamps(a, b) > 0;
const byKey = <T extends { key: string }>(a: T, b: T): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** Which document an event belongs to: its customer's, or (plan/price sync, no customer) the tenant's catalog. */
export function documentKeyOf(event: BillingEvent): string {
  const { tenantId } = event.metadata;
  switch (event.type) {
    case 'valued.revenue': {
      const customerId = valuedCustomerId(event);
      return customerId === null ? `${tenantId}|catalog` : `${tenantId}|customer|${customerId}`;
    }
    case 'pulsora.revenue':
      return `${tenantId}|customer|${event.metadata.customerId ?? event.data.customer_id}`;
    default:
      return assertNever(event, 'event');
  }
}

function valuedCustomerId(event: DomainEvent<'valued.revenue'>): string | null {
  const customer = event.data.customer;
  const id = event.metadata.customerId ?? customer?.stripe_customer_id ?? customer?.id ?? null;
  return typeof id === 'string' && id.length > 0 ? id : null;
}

// ---- validation helpers: a wrong field is an MrrInputError with its path, dead-lettered as invalid_body

function text(value: unknown, path: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new MrrInputError(path, 'must be a non-empty string');
  return value;
}
const optionalText = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value : null);
const optionalBool = (value: unknown): boolean | null => (typeof value === 'boolean' ? value : null);

function unixSeconds(value: unknown, path: string): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > MAX_UNIX_SECONDS) {
    throw new MrrInputError(path, `must be Unix seconds, got ${JSON.stringify(value)}`);
  }
  return value;
}

function integer(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new MrrInputError(path, `must be an integer amount of minor units, got ${JSON.stringify(value)}`);
  return value;
}
const optionalInteger = (value: unknown, path: string): number | null => (value === null || value === undefined ? null : integer(value, path));

function currencyOf(value: unknown, path: string): string {
  try {
    return normalizeCurrency(String(value ?? ''));
  } catch {
    throw new MrrInputError(path, `must be an ISO 4217 code, got ${JSON.stringify(value)}`);
  }
}

function checkedAmount(amount: Rational, path: string): Rational {
  const rounded = roundToMinor(amount);
  if (rounded > MAX_FACT_AMOUNT || rounded < -MAX_FACT_AMOUNT) throw new MrrInputError(path, `MRR of ${rounded} minor units is out of range`);
  return amount;
}

// ---- documents
//
// Stored objects spell out their stamp (`at: stamp.at, id: stamp.id, …`) rather than spreading it
// (`{ ...stamp, … }`): in V8 (Node 20), each property a literal adds after a spread is defined by a
// runtime call, about 0.7 µs apiece, and these objects are built for nearly every event (a snapshot
// built that way took about 6 µs; see docs/performance-billing.md).

function customerDocument(state: BillingDocument, event: BillingEvent, customerId: string, at: number): CustomerDocument {
  const doc: CustomerDocument =
    state.kind === 'customer'
      ? { ...state }
      : { kind: 'customer', tenantId: event.metadata.tenantId, customerId, firstAt: at, lastAt: at, profile: { name: null, emailHash: null, stripeCustomerId: null }, subscriptions: [], invoices: [], mrr: [] };
  doc.firstAt = Math.min(doc.firstAt, at);
  doc.lastAt = Math.max(doc.lastAt, at);
  return doc;
}

/** Adds a fact in event-time order; a fact of an event already applied is not added again (idempotent). */
function withFact(facts: StoredMrrFact[], fact: StoredMrrFact): StoredMrrFact[] {
  if (facts.some((f) => f.id === fact.id && f.c === fact.c)) return facts;
  let i = facts.length;
  while (i > 0 && compareStamps(facts[i - 1]!, fact) > 0) i--;
  return [...facts.slice(0, i), fact, ...facts.slice(i)];
}

function withLatest<T extends Stamp & { key: string }>(list: T[], next: T): T[] {
  const existing = list.find((x) => x.key === next.key);
  if (existing && !newer(next, existing)) return list;
  return [...list.filter((x) => x.key !== next.key), next].sort(byKey);
}

/**
 * Merges a snapshot into the latest one of its key. Two latest-wins registers, so arrival order never
 * matters: the snapshot's own fields (status, dates) and its items, which a snapshot may leave out
 * (Valued resources are optional: an invoice event repeats the subscription without its items).
 */
function withSnapshot<I, T extends Stamp & { key: string; items: I[]; itemsStamp: Stamp | null }>(list: T[], next: T, sentItems: boolean): T[] {
  const existing = list.find((x) => x.key === next.key);
  const stamp: Stamp = { at: next.at, id: next.id };
  const head = existing === undefined || newer(next, existing) ? next : existing;
  const itemsFromNext = sentItems && (existing === undefined || newer(stamp, existing.itemsStamp));
  const merged: T = {
    ...head,
    items: itemsFromNext ? next.items : (existing?.items ?? []),
    itemsStamp: itemsFromNext ? stamp : (existing?.itemsStamp ?? null),
  };
  return [...list.filter((x) => x.key !== next.key), merged].sort(byKey);
}

function parseSubscription(sub: ValuedSubscription, items: ValuedRevenueData['subscription_items'], stamp: Stamp): { snapshot: StoredSubscription; sentItems: boolean; fact: StoredMrrFact } {
  if (sub === null || typeof sub !== 'object') throw new MrrInputError('subscription', 'must be an object');
  const key = text(sub.source_key, 'subscription.source_key');
  if (!SUBSCRIPTION_STATUSES.includes(sub.status)) throw new MrrInputError('subscription.status', `must be one of ${SUBSCRIPTION_STATUSES.join(', ')}, got ${JSON.stringify(sub.status)}`);
  const status: SubscriptionStatus = sub.status;
  const currency = currencyOf(sub.currency, 'subscription.currency');
  const counts = countsTowardMrr(status);
  const sentItems = Array.isArray(items);
  const sentDates = SUBSCRIPTION_DATE_FIELDS.some((f) => sub[f] !== undefined);

  const storedItems: StoredItem[] = [];
  const amounts = new Map<string, Rational>();
  const seen = new Set<string>();
  (items ?? []).forEach((item, i) => {
    const path = `subscription_items[${i}]`;
    if (item === null || typeof item !== 'object') throw new MrrInputError(path, 'must be an object');
    const itemKey = text(item.source_key, `${path}.source_key`);
    if (seen.has(itemKey)) throw new MrrInputError(`${path}.source_key`, `${itemKey} appears twice`);
    seen.add(itemKey);
    const quantity = quantityOf(item.quantity, `${path}.quantity`);
    const plan: ValuedPlan | null = item.plan ?? null;
    const rawPrice: ValuedPrice | null = item.price ?? plan?.price ?? null;
    const pricePath = item.price ? `${path}.price` : `${path}.plan.price`;
    if (rawPrice === null) throw new MrrInputError(pricePath, 'missing: send the price inline (price or plan.price) so the item can be valued');
    const price = normalizePrice(rawPrice, pricePath);
    const monthly = checkedAmount(itemMonthlyAmount(price, quantity), `${path}`);
    amounts.set(price.currency, add(amounts.get(price.currency) ?? ZERO, monthly));
    storedItems.push({
      key: itemKey,
      quantity,
      planKey: optionalText(plan?.id) ?? optionalText(plan?.source_key),
      planName: optionalText(plan?.name),
      priceKey: optionalText(rawPrice.id) ?? optionalText(rawPrice.source_key),
      priceName: optionalText(rawPrice.name),
      price,
      mrr: formatRational(monthly),
    });
  });
  storedItems.sort(byKey);
  const snapshot: StoredSubscription = {
    at: stamp.at,
    id: stamp.id,
    key,
    status,
    currency,
    dates: sentDates
      ? {
          startedAt: unixSeconds(sub.started_at, 'subscription.started_at'),
          currentPeriodStart: unixSeconds(sub.current_period_start, 'subscription.current_period_start'),
          currentPeriodEnd: unixSeconds(sub.current_period_end, 'subscription.current_period_end'),
          trialEnd: unixSeconds(sub.trial_end, 'subscription.trial_end'),
          canceledAt: unixSeconds(sub.canceled_at, 'subscription.canceled_at'),
          endedAt: unixSeconds(sub.ended_at, 'subscription.ended_at'),
        }
      : null,
    datesStamp: sentDates ? stamp : null,
    items: storedItems,
    itemsStamp: sentItems ? stamp : null,
  };
  const v = sentItems ? [...amounts.keys()].sort().map((c): [string, string] => [c, formatRational(amounts.get(c)!)]) : null;
  return { snapshot, sentItems, fact: { at: stamp.at, id: stamp.id, op: 'snap', c: `v:${key}`, s: counts, cur: currency, v } };
}

function parseInvoice(invoice: ValuedInvoice, stamp: Stamp): StoredInvoice {
  if (invoice === null || typeof invoice !== 'object') throw new MrrInputError('invoice', 'must be an object');
  const seen = new Set<string>();
  const items = (invoice.invoice_items ?? []).map((item, i) => {
    const path = `invoice.invoice_items[${i}]`;
    if (item === null || typeof item !== 'object') throw new MrrInputError(path, 'must be an object');
    const key = text(item.source_key, `${path}.source_key`);
    if (seen.has(key)) throw new MrrInputError(`${path}.source_key`, `${key} appears twice`);
    seen.add(key);
    return {
      key,
      quantity: optionalInteger(item.quantity, `${path}.quantity`),
      amount: integer(item.amount, `${path}.amount`),
      amountExcludingTax: optionalInteger(item.amount_excluding_tax, `${path}.amount_excluding_tax`),
      description: optionalText(item.description),
      proration: optionalBool(item.proration),
      periodStart: unixSeconds(item.period_start, `${path}.period_start`),
      periodEnd: unixSeconds(item.period_end, `${path}.period_end`),
    };
  });
  return {
    at: stamp.at,
    id: stamp.id,
    key: text(invoice.source_key, 'invoice.source_key'),
    subscription: optionalText(invoice.subscription),
    status: text(invoice.status, 'invoice.status'),
    currency: currencyOf(invoice.currency, 'invoice.currency'),
    total: integer(invoice.total, 'invoice.total'),
    subtotal: optionalInteger(invoice.subtotal, 'invoice.subtotal'),
    discount: optionalInteger(invoice.discount, 'invoice.discount'),
    tax: optionalInteger(invoice.tax, 'invoice.tax'),
    finalizedAt: unixSeconds(invoice.finalized_at, 'invoice.finalized_at'),
    paidAt: unixSeconds(invoice.paid_at, 'invoice.paid_at'),
    items: items.sort(byKey),
    itemsStamp: Array.isArray(invoice.invoice_items) ? stamp : null,
  };
}

function evolveValuedCustomer(state: BillingDocument, event: DomainEvent<'valued.revenue'>, customerId: string): CustomerDocument {
  const stamp: Stamp = { at: Date.parse(event.metadata.occurredAt), id: event.metadata.eventId };
  const body = event.data;
  const doc = customerDocument(state, event, customerId, stamp.at);
  if (body.customer) {
    // Each field is its own latest-wins register: an event that leaves a field out does not erase it.
    const register = (current: Stamped<string> | null, value: unknown): Stamped<string> | null => {
      const v = optionalText(value);
      return v !== null && (current === null || newer(stamp, { at: current[0], id: current[1] })) ? [stamp.at, stamp.id, v] : current;
    };
    doc.profile = {
      name: register(doc.profile.name, body.customer.name),
      emailHash: register(doc.profile.emailHash, body.customer.email),
      stripeCustomerId: register(doc.profile.stripeCustomerId, body.customer.stripe_customer_id),
    };
  }
  if (body.subscription) {
    const { snapshot, sentItems, fact } = parseSubscription(body.subscription, body.subscription_items, stamp);
    const existing = doc.subscriptions.find((x) => x.key === snapshot.key);
    doc.subscriptions = withSnapshot(doc.subscriptions, snapshot, sentItems).map((x) =>
      x.key !== snapshot.key
        ? x
        : snapshot.dates !== null && (existing === undefined || newer(stamp, existing.datesStamp))
          ? { ...x, dates: snapshot.dates, datesStamp: stamp }
          : { ...x, dates: existing?.dates ?? null, datesStamp: existing?.datesStamp ?? null },
    );
    doc.mrr = withFact(doc.mrr, fact);
  } else if (body.subscription_items && body.subscription_items.length > 0) {
    throw new MrrInputError('subscription', 'subscription_items need the subscription they belong to');
  }
  if (body.invoice) doc.invoices = withSnapshot(doc.invoices, parseInvoice(body.invoice, stamp), Array.isArray(body.invoice.invoice_items));
  return doc;
}

function evolvePulsora(state: BillingDocument, event: DomainEvent<'pulsora.revenue'>): CustomerDocument {
  const data: PulsoraRevenueData = event.data;
  const customerId = text(event.metadata.customerId ?? data.customer_id, 'customer_id');
  const stamp: Stamp = { at: Date.parse(event.metadata.occurredAt), id: event.metadata.eventId };
  const doc = customerDocument(state, event, customerId, stamp.at);
  const effect = pulsoraEffect(data);
  switch (effect.kind) {
    case 'add':
      doc.mrr = withFact(doc.mrr, { at: stamp.at, id: stamp.id, c: `p:${effect.subscription ?? ''}`, op: 'add', v: [[effect.currency, formatRational(checkedAmount(effect.delta, 'mrr_impact'))]] });
      break;
    case 'set':
      doc.mrr = withFact(doc.mrr, { at: stamp.at, id: stamp.id, c: `p:${effect.subscription ?? ''}`, op: 'set', v: [[effect.currency, formatRational(checkedAmount(effect.monthly, 'amount'))]] });
      break;
    case 'clear':
      doc.mrr = withFact(doc.mrr, { at: stamp.at, id: stamp.id, c: 'p:', op: 'clear', v: [[effect.currency, '0']] });
      break;
    case 'none':
      break;
    default:
      assertNever(effect, 'Pulsora effect');
  }
  return doc;
}

function evolveCatalog(state: BillingDocument, event: DomainEvent<'valued.revenue'>): CatalogDocument {
  const body = event.data;
  if (body.subscription || body.invoice || (body.subscription_items && body.subscription_items.length > 0)) {
    throw new MrrInputError('customer', 'a subscription or invoice needs the customer it belongs to');
  }
  if (!body.plan && !body.price) throw new MrrInputError('body', 'names no customer and syncs no plan or price: nothing to apply');
  const stamp: Stamp = { at: Date.parse(event.metadata.occurredAt), id: event.metadata.eventId };
  const doc: CatalogDocument = state.kind === 'catalog' ? { ...state } : { kind: 'catalog', tenantId: event.metadata.tenantId, plans: [], prices: [] };
  const syncPrice = (raw: ValuedPrice, path: string, planKey: string | null): void => {
    doc.prices = withLatest(doc.prices, {
      at: stamp.at,
      id: stamp.id,
      key: optionalText(raw.id) ?? text(raw.source_key, `${path}.id`),
      planKey: optionalText(raw.plan) ?? planKey,
      name: optionalText(raw.name),
      active: optionalBool(raw.active),
      price: normalizePrice(raw, path),
    });
  };
  if (body.plan) {
    const planKey = optionalText(body.plan.id) ?? text(body.plan.source_key, 'plan.id');
    doc.plans = withLatest(doc.plans, { at: stamp.at, id: stamp.id, key: planKey, name: optionalText(body.plan.name), active: optionalBool(body.plan.active) });
    if (body.plan.price) syncPrice(body.plan.price, 'plan.price', planKey);
  }
  if (body.price) syncPrice(body.price, 'price', body.plan ? optionalText(body.plan.id) ?? optionalText(body.plan.source_key) : null);
  return doc;
}

function evolve(state: BillingDocument, event: BillingEvent): BillingDocument {
  try {
    switch (event.type) {
      case 'valued.revenue': {
        const customerId = valuedCustomerId(event);
        return customerId === null ? evolveCatalog(state, event) : evolveValuedCustomer(state, event, customerId);
      }
      case 'pulsora.revenue':
        return evolvePulsora(state, event);
      default:
        return assertNever(event, 'event');
    }
  } catch (error) {
    if (error instanceof MrrInputError) throw new PoisonEventError('invalid_body', error.message);
    throw error;
  }
}

/**
 * Billing: subscriptions, invoices, plans and prices, and MRR with its movements, per tenant and
 * customer (plus one catalog document per tenant for plan/price sync). Facts are kept with their
 * event time and every derived value is recomputed from them (billing.read-model.ts), so a late or
 * out-of-order event leaves the same read models as in-order arrival. Rules: @revstream/mrr, docs/mrr.md.
 */
export const billingProjection: DocumentProjection<BillingDocument, BillingEvent> = {
  name: 'billing',
  version: 1,
  canHandle: ['valued.revenue', 'pulsora.revenue'],
  initialState: () => ({ kind: 'empty' }),
  keyOf: documentKeyOf,
  // A repeated Pulsora transaction_id is a no-op; Valued snapshots are idempotent, deduplicated by event id.
  dedupKey: (event) => (event.type === 'pulsora.revenue' ? `pulsora-txn:${event.data.transaction_id}` : `event:${event.metadata.eventId}`),
  evolve,
};
