import type { CohortSettingsChangedData, DomainEvent, JsonObject, PulsoraRevenueData, ValuedRevenueData, ValuedSubscriptionItem } from '@revstream/events';
import type { CohortEvent } from '../tenant-facts';

/**
 * Builders of the events the cohort scorer reads, for given/then tests (unit and integration). Times
 * are ISO instants; `receivedAt` defaults to `occurredAt`, so the events move "now" to their own time.
 */
export const TENANT = 'tn_test';
let seq = 0;
const nextId = (prefix: string): string => `${prefix}-${String(++seq).padStart(6, '0')}`;

interface Meta {
  tenantId?: string;
  eventId?: string;
  receivedAt?: string;
  idempotencyKey?: string | null;
}

function metadata(source: DomainEvent['metadata']['source'], occurredAt: string, customerId: string | null, meta: Meta, prefix: string): DomainEvent['metadata'] {
  return {
    eventId: meta.eventId ?? nextId(prefix),
    tenantId: meta.tenantId ?? TENANT,
    source,
    schemaVersion: 1,
    receivedAt: meta.receivedAt ?? occurredAt,
    occurredAt,
    customerId,
    idempotencyKey: meta.idempotencyKey ?? null,
    producer: 'test',
  };
}

export function productEvent(customerId: string, occurredAt: string, type = 'EXPORT_CREATED', properties: JsonObject = {}, meta: Meta & { externalUserId?: string | null } = {}): CohortEvent {
  return {
    type: 'revlint.product_event',
    data: { externalUserId: meta.externalUserId ?? null, stripeCustomerId: customerId.startsWith('cus_') ? customerId : null, type, occurredAt, properties },
    metadata: metadata('revlint', occurredAt, customerId, meta, 'pe'),
  };
}

export const limitReport = (customerId: string, occurredAt: string, usage: number, limit: number, meta: Meta = {}): CohortEvent =>
  productEvent(customerId, occurredAt, 'API_LIMIT_USED', { usage, limit, unit: 'api_calls' }, meta);

export const premiumUse = (customerId: string, occurredAt: string, feature = 'audit_export', meta: Meta = {}): CohortEvent =>
  productEvent(customerId, occurredAt, 'PREMIUM_FEATURE_USED', { feature, plan: 'starter' }, meta);

export function pageview(customerId: string, occurredAt: string, meta: Meta = {}): CohortEvent {
  return { type: 'pulsora.pageview', data: { customer_id: customerId, path: '/dashboard' }, metadata: metadata('pulsora', occurredAt, customerId, meta, 'pv') };
}

/** A Valued plan item priced per unit a month, in minor units. */
export const planItem = (plan: string, unitAmount: number, quantity = 1, currency = 'USD'): ValuedSubscriptionItem => ({
  source_key: `item-${plan}`,
  quantity,
  plan: { source_key: plan, name: plan, price: { source_key: `price-${plan}`, interval: 'month', interval_count: 1, type: 'recurring', currency, unit_amount: unitAmount, active: true } },
});

export function valuedSnapshot(
  customerId: string,
  occurredAt: string,
  status: NonNullable<ValuedRevenueData['subscription']>['status'],
  items: ValuedSubscriptionItem[] | null,
  meta: Meta & { subscription?: string; currency?: string } = {},
): CohortEvent {
  return {
    type: 'valued.revenue',
    data: {
      category: 'revenue',
      customer: { id: `valued-${customerId}`, stripe_customer_id: customerId },
      subscription: { source_key: meta.subscription ?? `sub-${customerId}`, status, currency: meta.currency ?? 'USD' },
      ...(items === null ? {} : { subscription_items: items }),
    },
    metadata: metadata('valued', occurredAt, customerId, meta, 'vr'),
  };
}

/** A plan and price sync: puts a plan on the tenant's ladder without any customer on it. */
export function planSync(plan: string, unitAmount: number, occurredAt: string, meta: Meta & { currency?: string; active?: boolean } = {}): CohortEvent {
  return {
    type: 'valued.revenue',
    data: {
      category: 'revenue',
      plan: { id: plan, name: plan, active: meta.active ?? true },
      price: { id: `price-${plan}`, plan, interval: 'month', interval_count: 1, type: 'recurring', currency: meta.currency ?? 'USD', unit_amount: unitAmount, active: true },
    },
    metadata: metadata('valued', occurredAt, null, meta, 'ps'),
  };
}

export function pulsoraRevenue(customerId: string, occurredAt: string, data: Partial<PulsoraRevenueData>, meta: Meta = {}): CohortEvent {
  const body: PulsoraRevenueData = {
    visitor_fingerprint: 'fp',
    session_id: 'sess',
    customer_id: customerId,
    amount: 49,
    currency: 'USD',
    transaction_id: nextId('txn'),
    event_type: 'subscription',
    ...data,
  };
  return { type: 'pulsora.revenue', data: body, metadata: metadata('pulsora', occurredAt, customerId, { idempotencyKey: body.transaction_id, ...meta }, 'pr') };
}

export function tick(at: string, meta: Meta = {}): CohortEvent {
  return { type: 'clock.tick', data: { at }, metadata: metadata('clock', at, null, { eventId: `tick:${meta.tenantId ?? TENANT}:${at}`, ...meta }, 'tick') };
}

export function settingsChanged(changes: CohortSettingsChangedData, occurredAt: string, meta: Meta = {}): CohortEvent {
  return { type: 'catalog.cohort_settings_changed', data: changes, metadata: metadata('catalog', occurredAt, null, meta, 'set') };
}

/** Day `n` of May 2026 at a time of day: `may(2)` is 2026-05-02T00:00:00.000Z. */
export const may = (day: number, time = '00:00:00.000'): string => `2026-05-${String(day).padStart(2, '0')}T${time}Z`;
/** An instant plus whole days and milliseconds. */
export const plus = (iso: string, days: number, ms = 0): string => new Date(Date.parse(iso) + days * 86_400_000 + ms).toISOString();
