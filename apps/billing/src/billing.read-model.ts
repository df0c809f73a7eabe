import type { JsonValue } from '@revstream/events';
import {
  add, countsTowardMrr, dailyMovements, type MrrChange, type MrrFact, parseRational, type Price, replayMrr, roundToMinor, ZERO,
} from '@revstream/mrr';
import type { ReadModel, ReadModelTable, RenderedRows, Row } from '@revstream/projections';
import type { BillingDocument, CatalogDocument, CustomerDocument, StoredMrrFact } from './billing.state';

/**
 * The billing read models (schema `billing`, migration 1763700002000). Money is bigint minor units
 * with its currency beside it. Every replace table's primary key starts with the tenant (and, for
 * customer tables, the customer), so each row belongs to exactly one document.
 */
export const BILLING_TABLES: readonly ReadModelTable[] = [
  {
    name: 'customers',
    mode: 'replace',
    columns: { tenant_id: 'text', customer_id: 'text', name: 'text', email_hash: 'text', stripe_customer_id: 'text', first_event_at: 'timestamptz', last_event_at: 'timestamptz' },
    primaryKey: ['tenant_id', 'customer_id'],
  },
  {
    name: 'subscriptions',
    mode: 'replace',
    columns: {
      tenant_id: 'text', customer_id: 'text', subscription_key: 'text', status: 'text', currency: 'text', mrr: 'bigint',
      started_at: 'timestamptz', current_period_start: 'timestamptz', current_period_end: 'timestamptz', trial_end: 'timestamptz',
      canceled_at: 'timestamptz', ended_at: 'timestamptz', snapshot_at: 'timestamptz', event_id: 'text',
    },
    primaryKey: ['tenant_id', 'customer_id', 'subscription_key'],
  },
  {
    name: 'subscription_items',
    mode: 'replace',
    columns: {
      tenant_id: 'text', customer_id: 'text', subscription_key: 'text', item_key: 'text', quantity: 'bigint', plan_key: 'text', plan_name: 'text',
      price_key: 'text', price_name: 'text', currency: 'text', billing_scheme: 'text', tiers_mode: 'text', unit_amount: 'bigint', tiers: 'jsonb',
      interval: 'text', interval_count: 'integer', usage_type: 'text', mrr: 'bigint',
    },
    primaryKey: ['tenant_id', 'customer_id', 'subscription_key', 'item_key'],
  },
  {
    name: 'invoices',
    mode: 'replace',
    columns: {
      tenant_id: 'text', customer_id: 'text', invoice_key: 'text', subscription_key: 'text', status: 'text', currency: 'text', total: 'bigint',
      subtotal: 'bigint', discount: 'bigint', tax: 'bigint', finalized_at: 'timestamptz', paid_at: 'timestamptz', snapshot_at: 'timestamptz', event_id: 'text',
    },
    primaryKey: ['tenant_id', 'customer_id', 'invoice_key'],
  },
  {
    name: 'invoice_items',
    mode: 'replace',
    columns: {
      tenant_id: 'text', customer_id: 'text', invoice_key: 'text', item_key: 'text', currency: 'text', quantity: 'bigint', amount: 'bigint',
      amount_excluding_tax: 'bigint', description: 'text', proration: 'boolean', period_start: 'timestamptz', period_end: 'timestamptz',
    },
    primaryKey: ['tenant_id', 'customer_id', 'invoice_key', 'item_key'],
  },
  {
    name: 'mrr_movements',
    mode: 'replace',
    columns: {
      tenant_id: 'text', customer_id: 'text', currency: 'text', occurred_at: 'timestamptz', type: 'text', before: 'bigint', after: 'bigint', delta: 'bigint', event_id: 'text',
    },
    primaryKey: ['tenant_id', 'customer_id', 'currency', 'occurred_at'],
  },
  {
    name: 'customer_mrr',
    mode: 'replace',
    columns: { tenant_id: 'text', customer_id: 'text', currency: 'text', amount: 'bigint', changed_at: 'timestamptz' },
    primaryKey: ['tenant_id', 'customer_id', 'currency'],
  },
  {
    name: 'mrr_daily',
    mode: 'additive',
    columns: {
      tenant_id: 'text', currency: 'text', day: 'date', new_mrr: 'bigint', expansion_mrr: 'bigint', contraction_mrr: 'bigint', churn_mrr: 'bigint',
      reactivation_mrr: 'bigint', net_mrr: 'bigint', movements: 'bigint',
    },
    primaryKey: ['tenant_id', 'currency', 'day'],
    additive: ['new_mrr', 'expansion_mrr', 'contraction_mrr', 'churn_mrr', 'reactivation_mrr', 'net_mrr', 'movements'],
  },
  {
    name: 'plans',
    mode: 'replace',
    columns: { tenant_id: 'text', plan_key: 'text', name: 'text', active: 'boolean', synced_at: 'timestamptz', event_id: 'text' },
    primaryKey: ['tenant_id', 'plan_key'],
  },
  {
    name: 'prices',
    mode: 'replace',
    columns: {
      tenant_id: 'text', price_key: 'text', plan_key: 'text', name: 'text', active: 'boolean', currency: 'text', billing_scheme: 'text', tiers_mode: 'text',
      unit_amount: 'bigint', tiers: 'jsonb', interval: 'text', interval_count: 'integer', usage_type: 'text', synced_at: 'timestamptz', event_id: 'text',
    },
    primaryKey: ['tenant_id', 'price_key'],
  },
];

export const BILLING_TABLE_NAMES: readonly string[] = BILLING_TABLES.map((t) => t.name);

/** Epoch ms to ISO-8601, memoized: the same instants recur in every rendering of a document. */
const isoCache = new Map<number, string>();
function iso(ms: number): string {
  let text = isoCache.get(ms);
  if (text === undefined) {
    if (isoCache.size >= 200_000) isoCache.clear();
    text = new Date(ms).toISOString();
    isoCache.set(ms, text);
  }
  return text;
}
const fromUnix = (seconds: number | null): string | null => (seconds === null ? null : iso(seconds * 1000));
const minor = (value: bigint): number => Number(value);

/** How a price reads in a table: tiers as [{up_to, unit_amount, flat_amount}], up_to null for the unbounded last. */
function priceColumns(price: Price): Record<string, JsonValue> {
  return {
    currency: price.currency,
    billing_scheme: price.scheme,
    tiers_mode: price.tiersMode,
    unit_amount: price.unitAmount,
    tiers: price.scheme === 'tiered' ? price.tiers.map((t) => ({ up_to: t.upTo, unit_amount: t.unitAmount, flat_amount: t.flatAmount })) : null,
    interval: price.interval,
    interval_count: price.interval === null ? null : price.intervalCount,
    usage_type: price.metered ? 'metered' : 'licensed',
  };
}

/**
 * The document's stored facts as MRR facts, in event-time order. A Valued snapshot becomes a `set` of
 * its subscription's component: its items' MRR when its status counts, else 0 (in its currency). A
 * snapshot that sent no items carries forward the items of the latest earlier snapshot that did.
 */
export function mrrFactsOf(stored: readonly StoredMrrFact[]): MrrFact[] {
  const lastItems = new Map<string, Array<[string, string]>>();
  return stored.map((f): MrrFact => {
    let change: MrrChange;
    switch (f.op) {
      case 'snap': {
        if (f.v !== null) lastItems.set(f.c, f.v);
        const items = f.s ? (lastItems.get(f.c) ?? []) : [];
        change = { op: 'set', component: f.c, amounts: [[f.cur, '0'] as [string, string], ...items].map(([currency, amount]) => ({ currency, monthly: parseRational(amount) })) };
        break;
      }
      case 'set':
        change = { op: 'set', component: f.c, amounts: f.v.map(([currency, amount]) => ({ currency, monthly: parseRational(amount) })) };
        break;
      case 'add':
        change = { op: 'add', component: f.c, currency: f.v[0]![0], delta: parseRational(f.v[0]![1]) };
        break;
      case 'clear':
        change = { op: 'clear', componentPrefix: f.c, currency: f.v[0]![0] };
        break;
    }
    return { at: f.at, eventId: f.id, change };
  });
}

function renderCustomer(doc: CustomerDocument): RenderedRows {
  const t = doc.tenantId;
  const c = doc.customerId;
  const timeline = replayMrr(mrrFactsOf(doc.mrr));
  // For display: the subscription's own MRR in its currency, rounded on its own (customer_mrr is the
  // figure that counts, rounded once over all of the customer's subscriptions; see docs/mrr.md).
  const subscriptionMrr = (s: CustomerDocument['subscriptions'][number]): number =>
    countsTowardMrr(s.status) ? minor(roundToMinor(s.items.filter((i) => i.price.currency === s.currency).reduce((sum, i) => add(sum, parseRational(i.mrr)), ZERO))) : 0;
  return {
    customers: [
      {
        tenant_id: t, customer_id: c, name: doc.profile.name?.[2] ?? null, email_hash: doc.profile.emailHash?.[2] ?? null,
        stripe_customer_id: doc.profile.stripeCustomerId?.[2] ?? null, first_event_at: iso(doc.firstAt), last_event_at: iso(doc.lastAt),
      },
    ],
    subscriptions: doc.subscriptions.map((s): Row => ({
      tenant_id: t, customer_id: c, subscription_key: s.key, status: s.status, currency: s.currency,
      mrr: subscriptionMrr(s),
      started_at: fromUnix(s.dates?.startedAt ?? null), current_period_start: fromUnix(s.dates?.currentPeriodStart ?? null),
      current_period_end: fromUnix(s.dates?.currentPeriodEnd ?? null), trial_end: fromUnix(s.dates?.trialEnd ?? null),
      canceled_at: fromUnix(s.dates?.canceledAt ?? null), ended_at: fromUnix(s.dates?.endedAt ?? null), snapshot_at: iso(s.at), event_id: s.id,
    })),
    subscription_items: doc.subscriptions.flatMap((s) =>
      s.items.map((i): Row => ({
        tenant_id: t, customer_id: c, subscription_key: s.key, item_key: i.key, quantity: i.quantity, plan_key: i.planKey, plan_name: i.planName,
        price_key: i.priceKey, price_name: i.priceName, ...priceColumns(i.price), mrr: minor(roundToMinor(parseRational(i.mrr))),
      })),
    ),
    invoices: doc.invoices.map((inv): Row => ({
      tenant_id: t, customer_id: c, invoice_key: inv.key, subscription_key: inv.subscription, status: inv.status, currency: inv.currency, total: inv.total,
      subtotal: inv.subtotal, discount: inv.discount, tax: inv.tax, finalized_at: fromUnix(inv.finalizedAt), paid_at: fromUnix(inv.paidAt),
      snapshot_at: iso(inv.at), event_id: inv.id,
    })),
    invoice_items: doc.invoices.flatMap((inv) =>
      inv.items.map((i): Row => ({
        tenant_id: t, customer_id: c, invoice_key: inv.key, item_key: i.key, currency: inv.currency, quantity: i.quantity, amount: i.amount,
        amount_excluding_tax: i.amountExcludingTax, description: i.description, proration: i.proration, period_start: fromUnix(i.periodStart), period_end: fromUnix(i.periodEnd),
      })),
    ),
    mrr_movements: timeline.movements.map((m): Row => ({
      tenant_id: t, customer_id: c, currency: m.currency, occurred_at: iso(m.at), type: m.type, before: minor(m.before), after: minor(m.after), delta: minor(m.delta), event_id: m.eventId,
    })),
    customer_mrr: timeline.current.map((m): Row => ({
      tenant_id: t, customer_id: c, currency: m.currency, amount: minor(m.amount), changed_at: m.changedAt === null ? null : iso(m.changedAt),
    })),
    mrr_daily: dailyMovements(timeline.movements).map((d): Row => ({
      tenant_id: t, currency: d.currency, day: d.day, new_mrr: minor(d.new), expansion_mrr: minor(d.expansion), contraction_mrr: minor(d.contraction),
      churn_mrr: minor(d.churn), reactivation_mrr: minor(d.reactivation), net_mrr: minor(d.net), movements: d.count,
    })),
  };
}

function renderCatalog(doc: CatalogDocument): RenderedRows {
  const t = doc.tenantId;
  return {
    plans: doc.plans.map((p): Row => ({ tenant_id: t, plan_key: p.key, name: p.name, active: p.active, synced_at: iso(p.at), event_id: p.id })),
    prices: doc.prices.map((p): Row => ({
      tenant_id: t, price_key: p.key, plan_key: p.planKey, name: p.name, active: p.active, ...priceColumns(p.price), synced_at: iso(p.at), event_id: p.id,
    })),
  };
}

export const billingReadModel: ReadModel<BillingDocument> = {
  tables: BILLING_TABLES,
  render: (_key, doc): RenderedRows => {
    switch (doc.kind) {
      case 'empty':
        return {};
      case 'customer':
        return renderCustomer(doc);
      case 'catalog':
        return renderCatalog(doc);
    }
  },
};
