import { createEnvelope, type Envelope } from '@revstream/events';
import { prng } from '../../apps/billing/src/testing/billing-workload';

/**
 * A deterministic, realistic usage stream for the metering benchmark (seeded, so every run measures
 * the same events):
 *  - 5 tenants of unequal size; customers drawn with a Zipf-like skew (a few heavy customers, a long tail);
 *  - 85% Revnu usage over three products, 10% Revenium events with one to three payload keys,
 *    5% Revenue Linter usage/limit gauges;
 *  - event times over 60 days in log order with jitter; 0.2% arrive weeks late (adjustments);
 *  - 0.5% client retries (the same event or transactionId again), which must not count;
 *  - before the usage: the tenants' products and Valued prices, and subscriptions for a tenth of the customers.
 */
export interface WorkloadOptions {
  events: number;
  customers: number;
  seed: number;
}

const TENANTS = ['tn_bench_a', 'tn_bench_b', 'tn_bench_c', 'tn_bench_d', 'tn_bench_e'];
const TENANT_WEIGHTS = [0.45, 0.25, 0.15, 0.1, 0.05];
const REVNU_METERS = ['api_calls', 'storage_gb', 'emails_sent'];
const REVENIUM_KEYS = ['tokens', 'images', 'computeSeconds'];
const START = Date.UTC(2026, 3, 1);
const SPAN = 60 * 86_400_000;

export interface Workload {
  /** Products, prices and subscriptions, published before the usage. */
  setup: Envelope[];
  /** Usage envelopes, generated a chunk at a time (the stream is too large to hold at once as JSON). */
  usage: (from: number, to: number) => Envelope[];
}

export function workload(options: WorkloadOptions): Workload {
  const perTenant = TENANT_WEIGHTS.map((w) => Math.max(1, Math.round(w * options.customers)));
  // Zipf-like: customer rank r is drawn with weight 1 / (r + 1).
  const cumulative = perTenant.map((n) => {
    const c: number[] = [];
    let s = 0;
    for (let r = 0; r < n; r++) c.push((s += 1 / (r + 1)));
    return c;
  });
  const setup: Envelope[] = [];
  const at = new Date(START - 86_400_000).toISOString();
  let setupId = 0;
  for (const tenantId of TENANTS) {
    const base = { tenantId, receivedAt: at, customerId: null, producer: 'bench' };
    setup.push(
      createEnvelope({ ...base, eventId: `setup-${++setupId}`, type: 'catalog.product_registered', body: { productId: 'prod_api', model: 'metered', eventName: 'api_calls', currency: 'USD', unitAmount: 2, flatAmount: null } }),
      createEnvelope({ ...base, eventId: `setup-${++setupId}`, type: 'catalog.product_registered', body: { productId: 'prod_storage', model: 'hybrid', eventName: 'storage_gb', currency: 'USD', unitAmount: 25, flatAmount: 1000 } }),
      createEnvelope({
        ...base,
        eventId: `setup-${++setupId}`,
        type: 'valued.revenue',
        body: { category: 'revenue', price: { id: 'tokens', currency: 'USD', tiers_mode: 'graduated', tiers: [{ up_to: 100_000, unit_amount: 1 }, { up_to: null, unit_amount: 0, flat_amount: 5000 }] } },
      }),
    );
  }
  TENANTS.forEach((tenantId, t) => {
    for (let r = 0; r < perTenant[t]!; r += 10) {
      const customerId = `cus_${t}_${r}`;
      setup.push(
        createEnvelope({
          eventId: `setup-${++setupId}`,
          tenantId,
          type: 'valued.revenue',
          receivedAt: at,
          customerId,
          producer: 'bench',
          body: {
            category: 'revenue',
            customer: { id: customerId },
            subscription: { source_key: `sub_${customerId}`, started_at: Math.floor((START + (r % 28) * 86_400_000) / 1000), status: 'active', currency: 'USD' },
            subscription_items: [{ source_key: 'item', price: { source_key: 'plan_monthly', interval: 'month', interval_count: 1, currency: 'USD', unit_amount: 4900 } }],
          },
        }),
      );
    }
  });

  // Usage is generated from a per-index seed, so any chunk can be produced independently and identically.
  const usageAt = (i: number): Envelope => {
    const r = prng(options.seed * 1_000_003 + i);
    const rnd = (): number => r();
    const original = rnd() < 0.005 && i > 1000 ? i - 1 - Math.floor(rnd() * 1000) : i; // a client retry of a recent event
    if (original !== i) return usageAt(original);
    const tIdx = (() => {
      const x = rnd();
      let s = 0;
      for (let k = 0; k < TENANT_WEIGHTS.length; k++) if (x < (s += TENANT_WEIGHTS[k]!)) return k;
      return TENANT_WEIGHTS.length - 1;
    })();
    const c = cumulative[tIdx]!;
    const x = rnd() * c[c.length - 1]!;
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (c[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    const customerId = `cus_${tIdx}_${lo}`;
    const tenantId = TENANTS[tIdx]!;
    const occurred = START + Math.floor((i / options.events) * SPAN + (rnd() - 0.5) * 600_000);
    const received = rnd() < 0.002 ? occurred + 40 * 86_400_000 : occurred + Math.floor(rnd() * 2000);
    const base = { eventId: `u-${options.seed}-${i}`, tenantId, receivedAt: new Date(received).toISOString(), occurredAt: new Date(occurred).toISOString(), customerId, producer: 'bench' };
    const kind = rnd();
    if (kind < 0.85) {
      const meter = REVNU_METERS[Math.floor(rnd() * REVNU_METERS.length)]!;
      return createEnvelope({ ...base, type: 'revnu.usage', body: { productId: `prod_${meter}`, stripeCustomerId: customerId, value: 1 + Math.floor(rnd() * 100), eventName: meter } });
    }
    if (kind < 0.95) {
      const keys = REVENIUM_KEYS.filter((_, k) => k === 0 || rnd() < 0.4);
      const payload = Object.fromEntries(keys.map((k) => [k, k === 'computeSeconds' ? Math.round(rnd() * 1000) / 10 : 1 + Math.floor(rnd() * 5000)]));
      const transactionId = `txn-${options.seed}-${i}`;
      return createEnvelope({
        ...base,
        idempotencyKey: transactionId,
        type: 'revenium.meter',
        body: { transactionId, payload, sourceId: 'src_ai', subscriberCredential: customerId, sourceType: 'AI' },
      });
    }
    const used = Math.floor(rnd() * 100_000);
    return createEnvelope({
      ...base,
      type: 'revlint.product_event',
      body: { externalUserId: `user_${customerId}`, stripeCustomerId: customerId, type: 'API_LIMIT_USED', occurredAt: base.occurredAt, properties: { usage: used, limit: 100_000, metric: 'api_requests' } },
    });
  };

  return {
    setup,
    usage: (from, to) => {
      const out: Envelope[] = [];
      for (let i = from; i < to; i++) out.push(usageAt(i));
      return out;
    },
  };
}
