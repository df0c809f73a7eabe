import fc from 'fast-check';
import { decodeEnvelope, type Envelope, PoisonEventError } from '@revstream/events';
import type { Row } from '@revstream/projections';
import { type BillingEvent, billingProjection } from './billing.projection';
import { BILLING_TABLES, billingReadModel } from './billing.read-model';
import type { BillingDocument } from './billing.state';
import { pulsoraEnvelope, SEED_VALUED, subscriptionBody, valuedEnvelope } from './testing/billing-fixtures';
import { billingWorkload } from './testing/billing-workload';

const T = 'tn_a';
const day = (d: number, h = 12): string => `2026-03-${String(d).padStart(2, '0')}T${String(h).padStart(2, '0')}:00:00.000Z`;
const decode = (e: Envelope): BillingEvent => decodeEnvelope(JSON.stringify(e)) as BillingEvent;

/** What the adapter does, in memory: fold each document (stored as JSON between events), render, sum additive tables. */
function project(envelopes: readonly Envelope[]): Record<string, Row[]> {
  const docs = new Map<string, BillingDocument>();
  for (const event of envelopes.map(decode)) {
    const key = billingProjection.keyOf(event)!;
    const next = billingProjection.evolve(docs.get(key) ?? billingProjection.initialState(), event);
    docs.set(key, JSON.parse(JSON.stringify(next)) as BillingDocument);
  }
  const tables: Record<string, Row[]> = {};
  for (const table of BILLING_TABLES) {
    const rows = [...docs.keys()].sort().flatMap((k) => billingReadModel.render(k, docs.get(k)!)[table.name] ?? []);
    if (table.mode === 'additive') {
      const sums = new Map<string, Record<string, number | string>>();
      for (const row of rows) {
        const pk = JSON.stringify(table.primaryKey.map((c) => row[c]));
        const acc = sums.get(pk) ?? Object.fromEntries(table.primaryKey.map((c) => [c, row[c] as string]));
        for (const c of table.additive!) acc[c] = ((acc[c] as number | undefined) ?? 0) + (row[c] as number);
        sums.set(pk, acc);
      }
      tables[table.name] = [...sums.keys()].sort().map((k) => sums.get(k)!);
    } else {
      tables[table.name] = rows;
    }
  }
  return tables;
}

const mrrOf = (tables: Record<string, Row[]>) => tables.customer_mrr!.map((r) => [r.customer_id, r.currency, r.amount]);
const movementsOf = (tables: Record<string, Row[]>) => tables.mrr_movements!.map((r) => [r.customer_id, r.type, r.before, r.after, r.delta, r.occurred_at, r.event_id]);

describe('billing projection: given Valued and Pulsora events, then read models', () => {
  it('seed 003, a subscription without items: a customer, an active subscription, 0 MRR and no movement', () => {
    const tables = project([valuedEnvelope('e1', T, day(1), SEED_VALUED.subscription)]);
    expect(tables.customers).toEqual([
      { tenant_id: T, customer_id: '123', name: null, email_hash: null, stripe_customer_id: null, first_event_at: day(1), last_event_at: day(1) },
    ]);
    expect(tables.subscriptions).toMatchObject([{ customer_id: '123', subscription_key: 'sub-321', status: 'active', currency: 'USD', mrr: 0, started_at: '2022-06-16T12:56:54.000Z' }]);
    expect(mrrOf(tables)).toEqual([['123', 'USD', 0]]);
    expect(tables.mrr_movements).toEqual([]);
  });

  it('seed 003, items: 2 × 9.99 and 1 × 3.99 every 12 months is (1998 + 399) / 12 = 199.75, so 200 cents of new MRR', () => {
    const tables = project([valuedEnvelope('e1', T, day(1), SEED_VALUED.withItems)]);
    expect(tables.subscription_items).toEqual([
      {
        tenant_id: T, customer_id: 'valued-cus-312', subscription_key: 'sub-321', item_key: 'sub-item-1', quantity: 2, plan_key: 'plan-999-monthly', plan_name: 'Solo Plan',
        price_key: 'price-999-monthly', price_name: '9.99 / month', currency: 'USD', billing_scheme: 'per_unit', tiers_mode: null, unit_amount: 999, tiers: null,
        interval: 'month', interval_count: 12, usage_type: 'licensed', mrr: 167,
      },
      expect.objectContaining({ item_key: 'sub-item-2', quantity: 1, unit_amount: 399, mrr: 33 }),
    ]);
    expect(mrrOf(tables)).toEqual([['valued-cus-312', 'USD', 200]]);
    expect(movementsOf(tables)).toEqual([['valued-cus-312', 'new', 0, 200, 200, day(1), 'e1']]);
  });

  it('seed 003, tiers: a "per_unit" price with tiers is tiered graduated, tiers sorted, the last unbounded', () => {
    const tables = project([valuedEnvelope('e1', T, day(1), SEED_VALUED.withTiers)]);
    expect(tables.subscription_items![1]).toMatchObject({
      item_key: 'sub-item-2', billing_scheme: 'tiered', tiers_mode: 'graduated', unit_amount: null,
      tiers: [{ up_to: 399, unit_amount: 199, flat_amount: 299 }, { up_to: null, unit_amount: 399, flat_amount: 100 }],
      mrr: 42, // (1 × 199 + 299) / 12 = 41.5
    });
    expect(mrrOf(tables)).toEqual([['valued-cus-312', 'USD', 208]]); // (1998 + 498) / 12, rounded once
  });

  it('seed 003, an invoice: the invoice and its items; invoices and taxes do not move MRR', () => {
    const tables = project([valuedEnvelope('e1', T, day(1), SEED_VALUED.withInvoice)]);
    expect(tables.invoices).toEqual([
      {
        tenant_id: T, customer_id: 'valued-cus-312', invoice_key: 'inv-924', subscription_key: 'sub-321', status: 'paid', currency: 'USD', total: 1000, subtotal: 1000,
        discount: 0, tax: 230, finalized_at: '2022-06-16T12:56:54.000Z', paid_at: '2022-06-16T13:48:44.000Z', snapshot_at: day(1), event_id: 'e1',
      },
    ]);
    expect(tables.invoice_items!.map((i) => [i.item_key, i.quantity, i.amount, i.amount_excluding_tax, i.proration])).toEqual([
      ['inv-item-1', 1, 999, 937, false],
      ['inv-item-2', 3, 399, 237, true],
    ]);
    expect(tables.mrr_movements).toEqual([]);
  });

  it('seed 003, plan and price sync (no customer): the tenant catalog', () => {
    const tables = project([valuedEnvelope('e1', T, day(1), SEED_VALUED.planSync)]);
    expect(tables.plans).toEqual([{ tenant_id: T, plan_key: 'plan-399-monthly-plus', name: 'Solo Plan Plus', active: true, synced_at: day(1), event_id: 'e1' }]);
    expect(tables.prices).toEqual([
      {
        tenant_id: T, price_key: 'price-399-monthly-plus', plan_key: 'solo-plan-plus', name: '3.99 / month - plus', active: true, currency: 'USD',
        billing_scheme: 'tiered', tiers_mode: 'graduated', unit_amount: null, tiers: [{ up_to: 399, unit_amount: 199, flat_amount: 299 }, { up_to: null, unit_amount: 399, flat_amount: 100 }],
        interval: 'month', interval_count: 12, usage_type: 'licensed', synced_at: day(1), event_id: 'e1',
      },
    ]);
    expect(tables.customers).toEqual([]);
  });

  it('a snapshot that leaves out items and dates (an invoice event repeats the subscription) keeps them, in any arrival order', () => {
    const events = [
      valuedEnvelope('e1', T, day(1), { ...SEED_VALUED.withItems, customer: { id: 'valued-cus-312', name: 'Acme' } }),
      valuedEnvelope('e2', T, day(2), { ...SEED_VALUED.withInvoice, subscription: { source_key: 'sub-321', status: 'past_due', currency: 'USD' } }),
    ];
    const tables = project(events);
    expect(mrrOf(tables)).toEqual([['valued-cus-312', 'USD', 200]]);
    expect(tables.subscriptions).toMatchObject([{ status: 'past_due', mrr: 200, snapshot_at: day(2), event_id: 'e2', started_at: '2022-06-16T12:56:54.000Z' }]);
    expect(tables.subscription_items!.map((i) => i.item_key)).toEqual(['sub-item-1', 'sub-item-2']);
    expect(tables.customers).toMatchObject([{ name: 'Acme' }]); // the later event's customer has no name: the name stays
    expect(project([...events].reverse())).toEqual(tables);
  });

  it('$2,000 a year for 4 seats is $166.67 of new MRR', () => {
    const tables = project([valuedEnvelope('e1', T, day(1), subscriptionBody('cus_1', 'sub_1', 'active', 50_000, 'year', 4))]);
    expect(movementsOf(tables)).toEqual([['cus_1', 'new', 0, 16_667, 16_667, day(1), 'e1']]);
    expect(tables.mrr_daily).toEqual([
      { tenant_id: T, currency: 'USD', day: '2026-03-01', new_mrr: 16_667, expansion_mrr: 0, contraction_mrr: 0, churn_mrr: 0, reactivation_mrr: 0, net_mrr: 16_667, movements: 1 },
    ]);
  });

  it('$100/month to $1,200/year is no movement; Bronze $100 to Gold $250 is one expansion of +150', () => {
    const annual = project([
      valuedEnvelope('e1', T, day(1), subscriptionBody('cus_1', 'sub_1', 'active', 10_000, 'month')),
      valuedEnvelope('e2', T, day(2), subscriptionBody('cus_1', 'sub_1', 'active', 120_000, 'year')),
    ]);
    expect(movementsOf(annual)).toEqual([['cus_1', 'new', 0, 10_000, 10_000, day(1), 'e1']]);
    expect(annual.subscription_items).toMatchObject([{ interval: 'year', unit_amount: 120_000, mrr: 10_000 }]);

    const gold = project([
      valuedEnvelope('e1', T, day(1), subscriptionBody('cus_1', 'sub_1', 'active', 10_000, 'month', 1, 'USD', 'Bronze')),
      valuedEnvelope('e2', T, day(2), subscriptionBody('cus_1', 'sub_1', 'active', 25_000, 'month', 1, 'USD', 'Gold')),
    ]);
    expect(movementsOf(gold)).toEqual([
      ['cus_1', 'new', 0, 10_000, 10_000, day(1), 'e1'],
      ['cus_1', 'expansion', 10_000, 25_000, 15_000, day(2), 'e2'],
    ]);
  });

  it('status: a trial counts 0; new is recognized at the first paid period; past_due counts; canceled is churn, then reactivation', () => {
    const tables = project([
      valuedEnvelope('e1', T, day(1), subscriptionBody('cus_1', 'sub_1', 'trialing', 5_000, 'month')),
      valuedEnvelope('e2', T, day(15), subscriptionBody('cus_1', 'sub_1', 'active', 5_000, 'month')),
      valuedEnvelope('e3', T, day(16), subscriptionBody('cus_1', 'sub_1', 'past_due', 5_000, 'month')),
      valuedEnvelope('e4', T, day(20), subscriptionBody('cus_1', 'sub_1', 'canceled', 5_000, 'month')),
      valuedEnvelope('e5', T, day(25), subscriptionBody('cus_1', 'sub_2', 'active', 7_000, 'month')),
    ]);
    expect(movementsOf(tables)).toEqual([
      ['cus_1', 'new', 0, 5_000, 5_000, day(15), 'e2'],
      ['cus_1', 'churn', 5_000, 0, -5_000, day(20), 'e4'],
      ['cus_1', 'reactivation', 0, 7_000, 7_000, day(25), 'e5'],
    ]);
    expect(tables.subscriptions!.map((s) => [s.subscription_key, s.status, s.mrr])).toEqual([['sub_1', 'canceled', 0], ['sub_2', 'active', 7_000]]);
  });

  it('currencies are never added together: MRR and movements per currency', () => {
    const tables = project([
      valuedEnvelope('e1', T, day(1), subscriptionBody('cus_1', 'sub_usd', 'active', 10_000, 'month')),
      valuedEnvelope('e2', T, day(1, 13), subscriptionBody('cus_1', 'sub_jpy', 'active', 120_000, 'year', 1, 'JPY')),
    ]);
    expect(mrrOf(tables)).toEqual([['cus_1', 'JPY', 10_000], ['cus_1', 'USD', 10_000]]);
    expect(tables.mrr_daily!.map((d) => [d.currency, d.new_mrr])).toEqual([['JPY', 10_000], ['USD', 10_000]]);
  });

  it('Pulsora: mrr_impact is authoritative; without it, the amount per interval; refunds and purchases do not move MRR', () => {
    const tables = project([
      pulsoraEnvelope('p1', T, day(1), { customer_id: 'cus_42', transaction_id: 'ch_1', event_type: 'subscription', amount: 100, customer_subscription_id: 'sub_9' }),
      pulsoraEnvelope('p2', T, day(2), { customer_id: 'cus_42', transaction_id: 'ch_2', event_type: 'purchase', amount: 499 }),
      pulsoraEnvelope('p3', T, day(3), { customer_id: 'cus_42', transaction_id: 'ch_3', event_type: 'upgrade', amount: 80, mrr_impact: 150, customer_subscription_id: 'sub_9' }),
      pulsoraEnvelope('p4', T, day(4), { customer_id: 'cus_42', transaction_id: 'ch_4', event_type: 'refund', amount: 80, mrr_impact: -150 }),
      pulsoraEnvelope('p5', T, day(5), { customer_id: 'cus_42', transaction_id: 'ch_5', event_type: 'renewal', amount: 3000, metadata: { interval: 'annual' }, customer_subscription_id: 'sub_9' }),
      pulsoraEnvelope('p6', T, day(6), { customer_id: 'cus_42', transaction_id: 'ch_6', event_type: 'churn', amount: 0 }),
    ]);
    expect(movementsOf(tables)).toEqual([
      ['cus_42', 'new', 0, 10_000, 10_000, day(1), 'p1'],
      ['cus_42', 'expansion', 10_000, 25_000, 15_000, day(3), 'p3'],
      // p5: a renewal at $3,000 a year is $250 a month, as before: no movement
      ['cus_42', 'churn', 25_000, 0, -25_000, day(6), 'p6'],
    ]);
    expect(mrrOf(tables)).toEqual([['cus_42', 'USD', 0]]);
  });

  it('is idempotent: the same events applied twice give the same read models', () => {
    const events = [
      valuedEnvelope('e1', T, day(1), SEED_VALUED.withTiers),
      valuedEnvelope('e2', T, day(2), SEED_VALUED.withInvoice),
      valuedEnvelope('e3', T, day(3), SEED_VALUED.planSync),
      pulsoraEnvelope('p1', T, day(4), { customer_id: 'valued-cus-312', transaction_id: 'ch_1', event_type: 'upgrade', amount: 10, mrr_impact: 5 }),
    ];
    expect(project([...events, ...events])).toEqual(project(events));
  });

  it('is order-independent: any arrival order (late events included) gives the same read models', () => {
    const events = [
      valuedEnvelope('e1', T, day(1), subscriptionBody('cus_1', 'sub_1', 'trialing', 5_000, 'month')),
      valuedEnvelope('e2', T, day(3), subscriptionBody('cus_1', 'sub_1', 'active', 5_000, 'month')),
      valuedEnvelope('e3', T, day(5), subscriptionBody('cus_1', 'sub_1', 'active', 9_000, 'month', 2)),
      valuedEnvelope('e4', T, day(7), subscriptionBody('cus_1', 'sub_1', 'canceled', 9_000, 'month', 2)),
      valuedEnvelope('e5', T, day(7), SEED_VALUED.withInvoice, 'cus_1'),
      valuedEnvelope('e6', T, day(2), SEED_VALUED.planSync),
      valuedEnvelope('e7', T, day(4), { ...SEED_VALUED.planSync, plan: { id: 'plan-399-monthly-plus', name: 'Renamed', active: false } }),
      pulsoraEnvelope('p1', T, day(2), { customer_id: 'cus_1', transaction_id: 'ch_1', event_type: 'subscription', amount: 20 }),
      pulsoraEnvelope('p2', T, day(6), { customer_id: 'cus_1', transaction_id: 'ch_2', event_type: 'downgrade', amount: 10, mrr_impact: -15 }),
      pulsoraEnvelope('p3', T, day(6), { customer_id: 'cus_2', transaction_id: 'ch_3', event_type: 'subscription', amount: 20, currency: 'EUR' }),
    ];
    const inOrder = project(events);
    expect(inOrder.plans).toMatchObject([{ name: 'Renamed', active: false }]);
    fc.assert(
      fc.property(fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }), (shuffled) => {
        expect(project(shuffled)).toEqual(inOrder);
      }),
      { numRuns: 60 },
    );
  });

  it('refuses what it cannot value, saying where: the event is dead-lettered as invalid_body', () => {
    const noPrice = valuedEnvelope('e1', T, day(1), {
      category: 'revenue', customer: { id: 'cus_1' }, subscription: { source_key: 's', status: 'active', currency: 'USD' },
      subscription_items: [{ source_key: 'i', quantity: 1, plan: { source_key: 'p' } }],
    });
    const apply = (e: Envelope) => () => billingProjection.evolve(billingProjection.initialState(), decode(e));
    expect(apply(noPrice)).toThrow(PoisonEventError);
    expect(apply(noPrice)).toThrow(/invalid_body: subscription_items\[0\].plan.price: missing/);
    const nothing = valuedEnvelope('e2', T, day(1), { category: 'revenue' });
    expect(apply(nothing)).toThrow(/names no customer and syncs no plan or price/);
    const badAmount = pulsoraEnvelope('p1', T, day(1), { customer_id: 'c', transaction_id: 't', event_type: 'subscription', amount: 1.005 });
    expect(apply(badAmount)).toThrow(/invalid_body: amount/);
  });

  it('dedups Pulsora by transaction_id and Valued by event id', () => {
    const [p, v] = [
      decode(pulsoraEnvelope('p1', T, day(1), { customer_id: 'c', transaction_id: 'ch_1' })),
      decode(valuedEnvelope('e1', T, day(1), SEED_VALUED.subscription)),
    ];
    expect(billingProjection.dedupKey!(p)).toBe('pulsora-txn:ch_1');
    expect(billingProjection.dedupKey!(v)).toBe('event:e1');
    expect(billingProjection.keyOf(p)).toBe(`${T}|customer|c`);
    expect(billingProjection.keyOf(decode(valuedEnvelope('e3', T, day(1), SEED_VALUED.planSync)))).toBe(`${T}|catalog`);
  });

  it('the generated workload (integration tests, benchmark) applies without a rejection and moves MRR every way', () => {
    const tables = project([...billingWorkload({ tenants: ['tn_a', 'tn_b'], customersPerTenant: 60, eventsPerCustomer: 10 })]);
    expect(new Set(tables.mrr_movements!.map((m) => m.type))).toEqual(new Set(['new', 'expansion', 'contraction', 'churn', 'reactivation']));
    const total = (rows: Row[], column: string) => rows.reduce((s, r) => s + (r[column] as number), 0);
    expect(total(tables.mrr_daily!, 'net_mrr')).toBe(total(tables.customer_mrr!, 'amount'));
  });
});
