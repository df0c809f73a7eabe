import { createEnvelope, type Envelope, type PulsoraRevenueData, type ValuedPrice, type ValuedRevenueData } from '@revstream/events';

/**
 * Events for billing tests and the benchmark: the seed's Valued examples (seed 003) and Pulsora
 * revenue events (seed 001), as envelopes the gateway would publish.
 */
export const SEED_STARTED_AT = 1655384214;

export function valuedEnvelope(
  eventId: string,
  tenantId: string,
  occurredAt: string,
  body: ValuedRevenueData,
  customerId: string | null = body.customer?.stripe_customer_id ?? body.customer?.id ?? null,
): Envelope<'valued.revenue'> {
  // Valued bodies carry no event time of their own: the gateway's receivedAt is the event time.
  return createEnvelope({ eventId, tenantId, type: 'valued.revenue', receivedAt: occurredAt, customerId, producer: 'test', body });
}

export function pulsoraEnvelope(eventId: string, tenantId: string, occurredAt: string, data: Partial<PulsoraRevenueData> & Pick<PulsoraRevenueData, 'customer_id' | 'transaction_id'>): Envelope<'pulsora.revenue'> {
  const body: PulsoraRevenueData = { visitor_fingerprint: 'fp_abc', session_id: 'sess_xyz', amount: 0, currency: 'USD', ...data };
  return createEnvelope({
    eventId, tenantId, type: 'pulsora.revenue', receivedAt: occurredAt, occurredAt, customerId: body.customer_id,
    idempotencyKey: body.transaction_id, producer: 'test', body,
  });
}

export const seedPrice999: ValuedPrice = {
  source_key: 'price-999-monthly', name: '9.99 / month', interval: 'month', interval_count: 12, type: 'recurring',
  billing_scheme: 'per_unit', currency: 'USD', unit_amount: 999, active: true,
};
export const seedPrice399: ValuedPrice = {
  source_key: 'price-399-monthly-plus', name: '3.99 / month - plus', interval: 'month', interval_count: 12, type: 'recurring',
  billing_scheme: 'per_unit', currency: 'USD', unit_amount: 399, active: true,
};
export const seedTieredPrice399: ValuedPrice = {
  source_key: 'price-399-monthly-plus', name: '3.99 / month - plus', interval: 'month', interval_count: 12, type: 'recurring',
  billing_scheme: 'per_unit', currency: 'USD', active: true,
  tiers: [
    { unit_amount: 399, flat_amount: 100, up_to: 500 },
    { unit_amount: 199, flat_amount: 299, up_to: 399 },
  ],
};

const seedSubscription = { source_key: 'sub-321', started_at: SEED_STARTED_AT, status: 'active' as const, currency: 'USD' };

const seedItems = [
  { source_key: 'sub-item-1', quantity: 2, plan: { source_key: 'plan-999-monthly', name: 'Solo Plan', price: seedPrice999 } },
  { source_key: 'sub-item-2', quantity: 1, plan: { source_key: 'plan-399-monthly-plus', name: 'Solo Plan Plus', price: seedPrice399 } },
];

/** The five examples of seed 003, verbatim. */
export const SEED_VALUED = {
  subscription: { category: 'revenue', customer: { id: '123' }, subscription: seedSubscription } satisfies ValuedRevenueData,
  withItems: { category: 'revenue', customer: { id: 'valued-cus-312' }, subscription: seedSubscription, subscription_items: seedItems } satisfies ValuedRevenueData,
  withTiers: {
    category: 'revenue',
    customer: { id: 'valued-cus-312' },
    subscription: seedSubscription,
    subscription_items: [seedItems[0]!, { ...seedItems[1]!, plan: { ...seedItems[1]!.plan, price: seedTieredPrice399 } }],
  } satisfies ValuedRevenueData,
  withInvoice: {
    category: 'revenue',
    customer: { id: 'valued-cus-312' },
    subscription: seedSubscription,
    invoice: {
      source_key: 'inv-924', subscription: 'sub-321', total: 1000, currency: 'USD', status: 'paid', finalized_at: 1655384214, paid_at: 1655387324,
      subtotal: 1000, discount: 0, tax: 230,
      invoice_items: [
        { source_key: 'inv-item-1', quantity: 1, amount: 999, description: 'Monthly subscription', amount_excluding_tax: 937, proration: false, period_start: 1655384214, period_end: 1655394214 },
        { source_key: 'inv-item-2', quantity: 3, amount: 399, description: 'Bonus', amount_excluding_tax: 237, proration: true, period_start: 1655384214, period_end: 1655394214 },
      ],
    },
  } satisfies ValuedRevenueData,
  planSync: {
    category: 'revenue',
    plan: { id: 'plan-399-monthly-plus', name: 'Solo Plan Plus', active: true },
    price: {
      id: 'price-399-monthly-plus', plan: 'solo-plan-plus', name: '3.99 / month - plus', interval: 'month', interval_count: 12, type: 'recurring',
      billing_scheme: 'per_unit', currency: 'USD', active: true,
      tiers: [
        { unit_amount: 399, flat_amount: 100, up_to: 500 },
        { unit_amount: 199, flat_amount: 299, up_to: 399 },
      ],
    },
  } satisfies ValuedRevenueData,
};

/** A one-item subscription snapshot: `unitAmount` per `interval`, `quantity` seats. */
export function subscriptionBody(
  customerId: string,
  subscriptionKey: string,
  status: NonNullable<ValuedRevenueData['subscription']>['status'],
  unitAmount: number,
  interval: NonNullable<ValuedPrice['interval']>,
  quantity = 1,
  currency = 'USD',
  planName = 'Plan',
): ValuedRevenueData {
  return {
    category: 'revenue',
    customer: { id: customerId },
    subscription: { source_key: subscriptionKey, status, currency },
    subscription_items: [
      {
        source_key: `${subscriptionKey}-item`,
        quantity,
        plan: { source_key: `plan-${planName.toLowerCase()}`, name: planName, price: { source_key: `price-${planName.toLowerCase()}-${interval}`, interval, interval_count: 1, type: 'recurring', billing_scheme: 'per_unit', currency, unit_amount: unitAmount } },
      },
    ],
  };
}
