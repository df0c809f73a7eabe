import type { Envelope, PulsoraRevenueData, ValuedPrice, ValuedRevenueData } from '@revstream/events';
import { pulsoraEnvelope, valuedEnvelope } from './billing-fixtures';

/**
 * A deterministic, realistic stream of billing events for integration tests and the benchmark:
 * per customer a life of a few months to a year. Valued customers (about 70%) send subscription
 * snapshots (trials that convert, seat changes, plan switches, monthly to annual, past_due,
 * cancellations, win-backs) and a paid invoice per period; Pulsora customers send subscription,
 * renewal, upgrade, downgrade, refund, purchase and churn events. Each tenant syncs its plans and
 * prices at the start. Events of a customer are in event-time order. Across customers the stream
 * is round-robin (every customer's first event, then every customer's second, …), as a log that
 * follows time interleaves customers; `interleave: 'customer'` puts each customer's life in one run.
 */
export interface WorkloadOptions {
  tenants: readonly string[];
  customersPerTenant: number;
  eventsPerCustomer: number;
  seed?: number;
  /** Epoch ms of the first event. */
  start?: number;
  idPrefix?: string;
  interleave?: 'round-robin' | 'customer';
}

/** A small deterministic PRNG (mulberry32): the same seed gives the same workload. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PLANS = [
  { name: 'Bronze', month: 1_000 },
  { name: 'Silver', month: 4_900 },
  { name: 'Gold', month: 9_900 },
  { name: 'Platinum', month: 29_900 },
];
const HOUR = 3_600_000;

function price(plan: (typeof PLANS)[number], interval: 'month' | 'year', currency: string, tiered: boolean): ValuedPrice {
  const unit = interval === 'year' ? plan.month * 10 : plan.month;
  const base = { source_key: `price-${plan.name.toLowerCase()}-${interval}-${currency.toLowerCase()}`, name: `${plan.name} / ${interval}`, interval, interval_count: 1, type: 'recurring' as const, currency, active: true };
  if (!tiered) return { ...base, billing_scheme: 'per_unit', unit_amount: unit };
  return {
    ...base,
    billing_scheme: 'tiered',
    tiers_mode: 'volume',
    tiers: [
      { up_to: 5, unit_amount: unit, flat_amount: 0 },
      { up_to: 20, unit_amount: Math.round(unit * 0.8), flat_amount: 500 },
      { up_to: 'inf', unit_amount: Math.round(unit * 0.6), flat_amount: 1_000 },
    ],
  };
}

export function* billingWorkload(options: WorkloadOptions): Generator<Envelope> {
  const rand = prng(options.seed ?? 42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const start = options.start ?? Date.parse('2026-01-01T00:00:00.000Z');
  const prefix = options.idPrefix ?? 'w';
  let seq = 0;
  const id = (): string => `${prefix}-${(seq++).toString(36).padStart(8, '0')}`;
  const iso = (ms: number): string => new Date(ms).toISOString();

  for (const tenant of options.tenants) {
    for (const plan of PLANS) {
      yield valuedEnvelope(id(), tenant, iso(start), { category: 'revenue', plan: { id: `plan-${plan.name.toLowerCase()}`, name: plan.name, active: true }, price: price(plan, 'month', 'USD', false) });
    }
  }

  function* life(tenant: string, c: number): Generator<Envelope> {
      const customerId = `cus_${c.toString(36)}`;
      let t = start + Math.floor(rand() * 30 * 24) * HOUR;
      const currency = rand() < 0.85 ? 'USD' : pick(['EUR', 'JPY', 'GBP']);
      if (rand() < 0.7) {
        // Valued: snapshots and invoices
        let plan = pick(PLANS);
        let interval: 'month' | 'year' = rand() < 0.8 ? 'month' : 'year';
        let seats = 1 + Math.floor(rand() * 8);
        const tiered = rand() < 0.2;
        let status: NonNullable<ValuedRevenueData['subscription']>['status'] = rand() < 0.3 ? 'trialing' : 'active';
        const sub = `sub_${tenant.slice(-4)}_${customerId}`;
        let invoice = 0;
        for (let e = 0; e < options.eventsPerCustomer; e++) {
          t += (1 + Math.floor(rand() * 20 * 24)) * HOUR;
          const roll = rand();
          if (e > 0 && roll < 0.35 && status !== 'canceled') {
            invoice++;
            const amount = plan.month * seats;
            yield valuedEnvelope(id(), tenant, iso(t), {
              category: 'revenue',
              customer: { id: customerId },
              subscription: { source_key: sub, status, currency },
              invoice: {
                source_key: `inv_${sub}_${invoice}`, subscription: sub, total: amount, currency, status: 'paid', subtotal: amount, discount: 0, tax: 0,
                finalized_at: Math.floor(t / 1000), paid_at: Math.floor(t / 1000) + 60,
                invoice_items: [{ source_key: `ii_${invoice}`, quantity: seats, amount, description: `${plan.name} × ${seats}`, amount_excluding_tax: amount, proration: false, period_start: Math.floor(t / 1000), period_end: Math.floor(t / 1000) + 2_592_000 }],
              },
            });
            continue;
          }
          if (e > 0) {
            const change = rand();
            if (status === 'trialing') status = rand() < 0.8 ? 'active' : 'canceled';
            else if (status === 'canceled') status = rand() < 0.3 ? 'active' : 'canceled';
            else if (change < 0.25) seats = Math.max(1, seats + (rand() < 0.6 ? 1 : -1) * (1 + Math.floor(rand() * 3)));
            else if (change < 0.4) plan = pick(PLANS);
            else if (change < 0.5) interval = interval === 'month' ? 'year' : 'month';
            else if (change < 0.6) status = status === 'past_due' ? 'active' : 'past_due';
            else if (change < 0.7) status = 'canceled';
          }
          yield valuedEnvelope(id(), tenant, iso(t), {
            category: 'revenue',
            customer: { id: customerId, name: `Customer ${c}` },
            subscription: { source_key: sub, status, currency, started_at: Math.floor(start / 1000), current_period_start: Math.floor(t / 1000), current_period_end: Math.floor(t / 1000) + 2_592_000 },
            subscription_items: [{ source_key: `${sub}_item`, quantity: seats, plan: { source_key: `plan-${plan.name.toLowerCase()}`, name: plan.name, price: price(plan, interval, currency, tiered) } }],
          });
        }
      } else {
        // Pulsora: revenue events, amounts in major units
        const major = (minor: number): number => (currency === 'JPY' ? minor : minor / 100);
        let plan = pick(PLANS);
        let live = false;
        const subId = rand() < 0.7 ? `psub_${customerId}` : null;
        for (let e = 0; e < options.eventsPerCustomer; e++) {
          t += (1 + Math.floor(rand() * 20 * 24)) * HOUR;
          const txn = `txn_${tenant.slice(-4)}_${customerId}_${e}`;
          const base: Pick<PulsoraRevenueData, 'customer_id' | 'transaction_id' | 'currency' | 'customer_subscription_id'> = { customer_id: customerId, transaction_id: txn, currency, customer_subscription_id: subId };
          let data: Partial<PulsoraRevenueData> & typeof base;
          if (!live) {
            data = { ...base, event_type: 'subscription', amount: major(plan.month), is_recurring: true, metadata: { plan: plan.name, interval: 'monthly' } };
            live = true;
          } else {
            const roll = rand();
            if (roll < 0.45) data = { ...base, event_type: 'renewal', amount: major(plan.month), is_recurring: true };
            else if (roll < 0.6) {
              const next = PLANS[Math.min(PLANS.indexOf(plan) + 1, PLANS.length - 1)]!;
              data = { ...base, event_type: 'upgrade', amount: major(next.month), mrr_impact: major(next.month - plan.month) };
              plan = next;
            } else if (roll < 0.7) {
              const next = PLANS[Math.max(PLANS.indexOf(plan) - 1, 0)]!;
              data = { ...base, event_type: 'downgrade', amount: major(next.month) };
              plan = next;
            } else if (roll < 0.8) data = { ...base, event_type: 'refund', amount: major(plan.month) };
            else if (roll < 0.9) data = { ...base, event_type: 'purchase', amount: major(2_500) };
            else {
              data = { ...base, event_type: 'churn', amount: 0, mrr_impact: rand() < 0.5 ? -major(plan.month) : null };
              live = false;
            }
          }
          yield pulsoraEnvelope(id(), tenant, iso(t), data as PulsoraRevenueData);
        }
      }
  }

  const lives: Array<Generator<Envelope>> = [];
  for (let c = 0; c < options.customersPerTenant; c++) for (const tenant of options.tenants) lives.push(life(tenant, c));
  if (options.interleave === 'customer') {
    for (const l of lives) yield* l;
    return;
  }
  let live = lives;
  while (live.length > 0) {
    const still: Array<Generator<Envelope>> = [];
    for (const l of live) {
      const next = l.next();
      if (next.done) continue;
      yield next.value;
      still.push(l);
    }
    live = still;
  }
}
