/**
 * Realistic request bodies for the ingest benchmark: Revenue Linter batches of 100 product events,
 * and single events for Pulsora (revenue and pageviews), Revnu, Valued and Revenium, spread over
 * many tenants and customers. Bodies are built ahead of time so the load generator spends its CPU on
 * sending them, not on making them.
 */

export interface BenchTenant {
  tenantId: string;
  ingest: string;
  secret: string;
  public: string;
}

const FEATURES = ['audit_export', 'sso', 'api_access', 'custom_roles', 'webhooks', 'advanced_reports'];
const TYPES = ['PREMIUM_FEATURE_USED', 'API_LIMIT_USED', 'SEAT_LIMIT_USED', 'USAGE_LIMIT_REACHED', 'EXPORT_CREATED', 'LOGIN'];

const pick = <T>(list: readonly T[], i: number): T => list[i % list.length]!;

function revlintEvent(i: number, at: Date): Record<string, unknown> {
  const customer = i % 5000;
  const type = pick(TYPES, i);
  const properties: Record<string, unknown> =
    type === 'API_LIMIT_USED'
      ? { usage: 50_000 + (i % 50_000), limit: 100_000, metric: 'api_requests', window: 'monthly' }
      : type === 'SEAT_LIMIT_USED'
        ? { seatsUsed: 1 + (i % 10), seatLimit: 10 }
        : { feature: pick(FEATURES, i), plan: i % 3 === 0 ? 'starter' : 'pro', source: 'web' };
  return {
    externalUserId: `user_${customer}`,
    stripeCustomerId: `cus_${(customer * 7919).toString(36).padStart(8, '0')}`,
    type,
    occurredAt: new Date(at.getTime() + i).toISOString(),
    properties,
    // One event in ten carries the user's email (hashed by the gateway).
    ...(i % 10 === 0 ? { email: `user${customer}@customer-${customer % 97}.example.com` } : {}),
  };
}

/** `count` distinct batches of `size` events each. */
export function revlintBatches(count: number, size: number): string[] {
  const at = new Date();
  return Array.from({ length: count }, (_, b) => JSON.stringify({ events: Array.from({ length: size }, (_, e) => revlintEvent(b * size + e, at)) }));
}

export function pulsoraRevenue(i: number): string {
  const customer = i % 3000;
  return JSON.stringify({
    type: 'revenue',
    data: {
      visitor_fingerprint: `fp_${(i * 31).toString(36)}`,
      session_id: `sess_${(i * 17).toString(36)}`,
      customer_id: `cus_p${customer}`,
      amount: [29, 49.99, 99, 499, 19.5][i % 5],
      currency: 'USD',
      transaction_id: `ch_${i.toString(36)}_${Date.now().toString(36)}`,
      payment_processor: 'stripe',
      event_type: pick(['purchase', 'subscription', 'renewal', 'upgrade'], i),
      is_recurring: i % 2 === 0,
      metadata: { plan: i % 2 === 0 ? 'pro' : 'starter', interval: 'monthly' },
    },
  });
}

export function pulsoraPageview(i: number): string {
  return JSON.stringify({
    type: 'pageview',
    data: { visitor_fingerprint: `fp_${(i * 31).toString(36)}`, session_id: `sess_${(i * 17).toString(36)}`, url: `https://app.example.com/${pick(['pricing', 'dashboard', 'settings', 'reports'], i)}`, referrer: 'https://www.google.com/' },
  });
}

export function revnuUsage(i: number): string {
  return JSON.stringify({ productId: 'prod_api', stripeCustomerId: `cus_r${i % 2000}`, value: 1 + (i % 100) });
}

export function valuedRevenue(i: number): string {
  const sub = i % 1500;
  return JSON.stringify({
    category: 'revenue',
    customer: { id: `valued-cus-${sub}`, email: `billing${sub}@org-${sub % 53}.example.com`, stripe_customer_id: `cus_v${sub}` },
    subscription: { source_key: `sub-${sub}`, started_at: 1655384214 + sub, status: 'active', currency: 'USD' },
    subscription_items: [
      {
        source_key: `sub-item-${sub}`,
        quantity: 1 + (i % 5),
        plan: {
          source_key: 'plan-999-monthly',
          name: 'Solo Plan',
          price: { source_key: 'price-999-monthly', name: '9.99 / month', interval: 'month', interval_count: 1, type: 'recurring', billing_scheme: 'per_unit', currency: 'USD', unit_amount: 999, active: true },
        },
      },
    ],
  });
}

export function reveniumMeter(i: number): string {
  return JSON.stringify({
    transactionId: `txn-${i.toString(36)}-${Date.now().toString(36)}`,
    payload: { storageGB: (i % 200) / 10, apiCalls: 100 + (i % 5000), computeMinutes: i % 600 },
    sourceId: 'storageCharges',
    subscriberCredential: `acct-${i % 2500}`,
    sourceType: pick(['SDK_JS', 'SDK_PYTHON', 'AWS', 'UNKNOWN'], i),
  });
}
