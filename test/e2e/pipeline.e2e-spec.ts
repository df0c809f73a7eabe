/// <reference lib="dom" />
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { loadConfig } from '@revstream/config';
import { createEnvelope, type Envelope, type ValuedRevenueData } from '@revstream/events';
import { EventPublisher } from '@revstream/kafka';
import { runMigrations, sqlClient } from '@revstream/persistence';
import { startProjectionApp } from '@revstream/projections';
import { createTenancyDataSource, type CreatedTenant, TenancyRepository } from '@revstream/tenancy';
import { eventually, isolatedStack, type IsolatedStack } from '@revstream/testing';
import { ApiConfig } from '../../apps/api/src/api.config';
import { registerProduct } from '../../apps/cli/src/commands/register-product.use-case';
import { createApiApp } from '../../apps/api/src/main';
import { BillingConfig } from '../../apps/billing/src/billing.config';
import { BillingModule } from '../../apps/billing/src/billing.module';
import { CohortsConfig } from '../../apps/cohorts/src/cohorts.config';
import { CohortsModule } from '../../apps/cohorts/src/cohorts.module';
import { GatewayConfig } from '../../apps/gateway/src/gateway.config';
import { createGatewayApp } from '../../apps/gateway/src/main';
import { MeteringConfig } from '../../apps/metering/src/metering.config';
import { MeteringModule } from '../../apps/metering/src/metering.module';

/**
 * The whole pipeline, as a user runs it: events over HTTP into the gateway (and a history backfilled by
 * an internal producer, straight to Kafka in the documented envelope), projected by the billing,
 * metering and cohorts consumers into Postgres, read through the query API, and drawn by the dashboard
 * in headless Chromium, which saves a screenshot to test-results/dashboard.png.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PLANS = {
  starter: { amount: 2_900, interval: 'month' as const },
  pro: { amount: 9_900, interval: 'month' as const },
  enterprise: { amount: 49_900, interval: 'month' as const },
  pro_annual: { amount: 99_000, interval: 'year' as const },
};
type PlanName = keyof typeof PLANS;

function valued(customer: string, plan: PlanName, status: 'active' | 'canceled', currency = 'USD'): ValuedRevenueData {
  const { amount, interval } = PLANS[plan];
  return {
    category: 'revenue',
    customer: { id: customer },
    subscription: { source_key: `sub_${customer}`, status, currency },
    subscription_items: [
      {
        source_key: `item_${customer}`,
        quantity: 1,
        plan: {
          source_key: `plan_${plan}`,
          name: plan,
          price: { source_key: `price_${plan}_${currency}`, interval, interval_count: 1, type: 'recurring', billing_scheme: 'per_unit', currency, unit_amount: amount },
        },
      },
    ],
  };
}

function planSync(plan: PlanName): ValuedRevenueData {
  const { amount, interval } = PLANS[plan];
  return {
    category: 'revenue',
    plan: { id: `plan_${plan}`, name: plan, active: true },
    price: { id: `price_${plan}_USD`, plan: `plan_${plan}`, interval, interval_count: 1, type: 'recurring', billing_scheme: 'per_unit', currency: 'USD', unit_amount: amount, active: true },
  };
}

describe('the whole pipeline: HTTP -> gateway -> Kafka -> consumers -> Postgres -> query API -> dashboard', () => {
  let stack: IsolatedStack;
  let tenancyDs: DataSource;
  let tenant: CreatedTenant;
  let publisher: EventPublisher;
  const apps: INestApplication[] = [];
  let gatewayUrl: string;
  let apiUrl: string;

  const api = async <T>(path: string): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${apiUrl}${path}`, { headers: { authorization: `Bearer ${tenant.tokens.read}` } });
    return { status: response.status, body: (await response.json()) as T };
  };
  const post = async (path: string, body: unknown, headers: Record<string, string>): Promise<number> =>
    (await fetch(`${gatewayUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })).status;

  beforeAll(async () => {
    stack = await isolatedStack('pipeline');
    tenancyDs = createTenancyDataSource(stack.databaseUrl);
    await runMigrations(tenancyDs, stack.databaseUrl);
    const repo = new TenancyRepository(sqlClient(tenancyDs));
    tenant = await repo.createTenant('Pipeline Inc');
    const env = { ...stack.env, COHORTS_TICK_INTERVAL_MS: '0', IDENTITY_PROJECTION: 'on' };
    const gateway = await createGatewayApp(loadConfig(GatewayConfig, env));
    await gateway.listen(0, '127.0.0.1');
    gatewayUrl = await gateway.getUrl();
    apps.push(gateway);
    apps.push(await startProjectionApp(BillingModule.forRoot(loadConfig(BillingConfig, env)), 0, '127.0.0.1'));
    apps.push(await startProjectionApp(MeteringModule.forRoot(loadConfig(MeteringConfig, env)), 0, '127.0.0.1'));
    apps.push(await startProjectionApp(CohortsModule.forRoot(loadConfig(CohortsConfig, env)), 0, '127.0.0.1'));
    const queryApi = await createApiApp(loadConfig(ApiConfig, env));
    await queryApi.listen(0, '127.0.0.1');
    apiUrl = await queryApi.getUrl();
    apps.push(queryApi);

    publisher = new EventPublisher(stack.kafka, stack.topics, { publishTimeoutMs: 10_000, maxRecordsPerRequest: 1_000, compression: 'none' });
    // What `npm run cli -- products create --model metered --event api_calls --unit-amount 2` does.
    await registerProduct(repo, publisher, tenant.tenantId, { productId: 'prod_api', model: 'metered', eventName: 'api_calls', currency: 'USD', unitAmount: 2, flatAmount: null });

    // An internal producer backfills two months of history, in the documented envelope.
    const t = tenant.tenantId;
    const receivedAt = new Date().toISOString();
    let n = 0;
    const snapshot = (at: string, customer: string | null, body: ValuedRevenueData): Envelope =>
      createEnvelope({ eventId: `backfill-${++n}`, tenantId: t, type: 'valued.revenue', receivedAt, occurredAt: at, customerId: customer, producer: 'backfill-job', body });
    const history: Envelope[] = [
      snapshot('2026-09-01T09:00:00.000Z', null, planSync('starter')),
      snapshot('2026-09-01T09:00:00.000Z', null, planSync('pro')),
      snapshot('2026-09-01T09:00:00.000Z', null, planSync('enterprise')),
      snapshot('2026-09-01T10:00:00.000Z', 'cus_p01', valued('cus_p01', 'starter', 'active')),
      snapshot('2026-09-03T10:00:00.000Z', 'cus_p02', valued('cus_p02', 'pro', 'active')),
      snapshot('2026-09-05T10:00:00.000Z', 'cus_p03', valued('cus_p03', 'starter', 'active')),
      snapshot('2026-09-08T10:00:00.000Z', 'cus_p04', valued('cus_p04', 'enterprise', 'active')),
      snapshot('2026-09-12T10:00:00.000Z', 'cus_p05', valued('cus_p05', 'starter', 'active')),
      snapshot('2026-09-15T10:00:00.000Z', 'cus_p06', valued('cus_p06', 'pro_annual', 'active')),
      snapshot('2026-09-20T10:00:00.000Z', 'cus_p07', valued('cus_p07', 'starter', 'active', 'EUR')),
      snapshot('2026-09-22T10:00:00.000Z', 'cus_p08', valued('cus_p08', 'pro', 'active')),
      snapshot('2026-10-05T10:00:00.000Z', 'cus_p01', valued('cus_p01', 'pro', 'active')), // expansion
      snapshot('2026-10-10T10:00:00.000Z', 'cus_p03', valued('cus_p03', 'starter', 'canceled')), // churn
      snapshot('2026-10-15T10:00:00.000Z', 'cus_p08', valued('cus_p08', 'starter', 'active')), // contraction
    ];
    await publisher.publish(history);

    // Applications post over HTTP: the seeds' own examples, and usage and product activity.
    const ingest = { authorization: `Bearer ${tenant.tokens.ingest}` };
    const statuses = [
      await post('/events', {
        category: 'revenue',
        customer: { id: 'valued-cus-312' },
        subscription: { source_key: 'sub-321', started_at: 1655384214, status: 'active', currency: 'USD' },
        subscription_items: [
          {
            source_key: 'sub-item-1',
            quantity: 2,
            plan: {
              source_key: 'plan-999-monthly',
              name: 'Solo Plan',
              price: { source_key: 'price-999-monthly', name: '9.99 / month', interval: 'month', interval_count: 12, type: 'recurring', billing_scheme: 'per_unit', currency: 'USD', unit_amount: 999, active: true },
            },
          },
        ],
      }, ingest),
      await post('/api/ingest', {
        type: 'revenue',
        token: tenant.tokens.secret,
        data: { visitor_fingerprint: 'fp_abc', session_id: 'sess_xyz', customer_id: 'cus_42', amount: 499, currency: 'USD', transaction_id: 'ch_1Nv...', payment_processor: 'stripe', event_type: 'subscription' },
      }, { 'x-api-token': tenant.tokens.secret }),
      await post('/api/v1/usage', { productId: 'prod_api', stripeCustomerId: 'cus_42', value: 150 }, ingest),
      await post('/api/v1/usage', { productId: 'prod_api', stripeCustomerId: 'cus_42', value: 50 }, ingest),
      await post('/meter/v2/events', { transactionId: 'txn-storage-1', payload: { storageGB: 15.5, apiCalls: 1250 }, subscriberCredential: 'cus_p04', sourceType: 'SDK_JS' }, { 'x-api-key': tenant.tokens.ingest }),
      await post('/api/v1/events/product', {
        events: [
          { externalUserId: 'user_5', stripeCustomerId: 'cus_p05', type: 'API_LIMIT_USED', occurredAt: new Date().toISOString(), properties: { usage: 91000, limit: 100000, metric: 'api_requests', window: 'monthly' } },
          { externalUserId: 'user_1', stripeCustomerId: 'cus_p01', type: 'PREMIUM_FEATURE_USED', occurredAt: new Date().toISOString(), properties: { feature: 'audit_export', plan: 'pro' } },
        ],
      }, ingest),
    ];
    expect(statuses).toEqual([202, 202, 200, 200, 201, 202]);
  });

  afterAll(async () => {
    for (const app of apps.reverse()) await app.close();
    await publisher?.disconnect();
    await tenancyDs?.destroy();
    await stack.cleanup();
  });

  // USD MRR now: pro 99 (p01) + pro 99 (p02) + enterprise 499 (p04) + starter 29 (p05) + 990/12 (p06)
  // + starter 29 (p08) + 2 x 9.99 every 12 months (Valued seed) + 499 (Pulsora seed) = 1,338.17.
  const USD_MRR = 9_900 + 9_900 + 49_900 + 2_900 + 8_250 + 2_900 + 167 + 49_900;

  it('projects MRR, its movements and the customers, per currency', async () => {
    const mrr = await eventually(() => api<{ amount: number }>('/v1/mrr?currency=USD'), (r) => r.body.amount === USD_MRR);
    expect(mrr.body).toEqual({ currency: 'USD', amount: USD_MRR });
    expect((await api('/v1/mrr?currency=EUR')).body).toEqual({ currency: 'EUR', amount: 2_900 });
    expect((await api('/v1/mrr/currencies')).body).toEqual({ currencies: ['EUR', 'USD'] });

    const breakdown = (await api<{ months: Array<Record<string, { count: number; amount: number }> & { month: string }> }>('/v1/mrr/breakdown?currency=USD')).body.months;
    const october = breakdown.find((m) => m.month === '2026-10')!;
    expect(october.expansion).toEqual({ count: 1, amount: 7_000 });
    expect(october.churn).toEqual({ count: 1, amount: 2_900 });
    expect(october.contraction).toEqual({ count: 1, amount: 7_000 });
    const series = (await api<{ points: Array<{ date: string; amount: number }> }>('/v1/mrr/series?currency=USD&interval=month')).body.points;
    expect(series[0]).toEqual({ date: '2026-09', amount: 9_900 * 2 + 2_900 * 3 + 49_900 + 8_250 });
    expect(series[series.length - 1]!.amount).toBe(USD_MRR);

    const customers = (await api<{ items: Array<{ customerId: string }> }>('/v1/customers?limit=100')).body.items.map((c) => c.customerId);
    expect(customers).toEqual(['cus_42', 'cus_p01', 'cus_p02', 'cus_p03', 'cus_p04', 'cus_p05', 'cus_p06', 'cus_p07', 'cus_p08', 'valued-cus-312']);
  });

  it('meters and rates usage per billing period', async () => {
    const usage = await eventually(
      () => api<{ periods: Array<{ value: number; eventCount: number; charge: { currency: string; amount: number } | null }> }>('/v1/usage?customerId=cus_42&meter=api_calls'),
      (r) => r.body.periods?.[0]?.value === 200,
    );
    expect(usage.body.periods).toHaveLength(1);
    expect(usage.body.periods[0]).toMatchObject({ value: 200, eventCount: 2, charge: { currency: 'USD', amount: 400 } });
    const storage = await eventually(() => api<{ periods: Array<{ value: number }> }>('/v1/usage?customerId=cus_p04&meter=storageGB'), (r) => r.body.periods?.length === 1);
    expect(storage.body.periods[0]!.value).toBe(15.5);
  });

  it('scores the cohorts: expansion-ready by limit and by premium feature on a lower plan', async () => {
    const expansion = await eventually(
      () => api<{ members: Array<{ customerId: string; reasons: Array<{ code: string }> }> }>('/v1/cohorts/expansion-ready'),
      (r) => (r.body.members ?? []).length >= 2,
    );
    const byCustomer = new Map(expansion.body.members.map((m) => [m.customerId, m.reasons.map((r) => r.code)]));
    expect(byCustomer.get('cus_p05')).toContain('usage_limit');
    expect(byCustomer.get('cus_p01')).toEqual(expect.arrayContaining([expect.stringMatching(/premium/)]));
    expect(byCustomer.has('cus_p04')).toBe(false); // already on the top plan
    const silent = (await api<{ members: Array<{ customerId: string }> }>('/v1/cohorts/silent-churn')).body.members.map((m) => m.customerId);
    expect(silent).toContain('cus_p02');
    expect(silent).not.toContain('cus_p05');
    expect(silent).not.toContain('cus_p03'); // churned: not billing-active
  });

  it('accepted everything it acknowledged: no dead letters', async () => {
    expect((await api('/v1/dead-letters')).body).toEqual({ total: 0, byReason: [] });
  });

  it('documents every query endpoint in its OpenAPI document', async () => {
    const doc = (await (await fetch(`${apiUrl}/docs-json`)).json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual(
      expect.arrayContaining([
        '/v1/mrr',
        '/v1/mrr/currencies',
        '/v1/mrr/series',
        '/v1/mrr/breakdown',
        '/v1/mrr/movements',
        '/v1/customers',
        '/v1/customers/{customerId}',
        '/v1/customers/{customerId}/mrr',
        '/v1/customers/{customerId}/timeline',
        '/v1/usage',
        '/v1/usage/periods',
        '/v1/cohorts/expansion-ready',
        '/v1/cohorts/silent-churn',
        '/v1/cohorts/expansion-ready/history',
        '/v1/cohorts/silent-churn/history',
        '/v1/dead-letters',
        '/v1/dead-letters/events',
      ]),
    );
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/dashboard'))).toEqual([]);
  });

  it('draws the dashboard in headless Chromium, with the numbers the API gives, and saves a screenshot', async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`no Chromium at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium; .ci/run does it) or set CHROMIUM_PATH`);
    }
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1440, height: 1100 }, locale: 'en-US' });
      await page.goto(`${apiUrl}/dashboard#token=${tenant.tokens.read}`);
      await page.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('Updated'), undefined, { timeout: 30_000 });
      expect(page.url()).not.toContain(tenant.tokens.read); // the token leaves the address bar at once
      expect(await page.textContent('#kpi-mrr')).toBe('$1,338.17');
      expect(Number(await page.textContent('#kpi-expansion'))).toBeGreaterThanOrEqual(2);
      expect(await page.textContent('#kpi-dead')).toBe('0');
      const chartPoints = await page.evaluate(() => {
        const chart = (window as unknown as { Chart: { getChart: (id: string) => { data: { datasets: Array<{ data: unknown[] }> } } | undefined } }).Chart;
        return { mrr: chart.getChart('mrr-chart')?.data.datasets[0]?.data.length ?? 0, movements: chart.getChart('movements-chart')?.data.datasets.length ?? 0 };
      });
      expect(chartPoints.mrr).toBeGreaterThan(60);
      expect(chartPoints.movements).toBe(5);
      expect(await page.locator('#usage-table tbody tr').count()).toBeGreaterThanOrEqual(2);
      expect(await page.locator('#expansion-table tbody tr').count()).toBeGreaterThanOrEqual(2);
      const dir = join(__dirname, '..', '..', 'test-results');
      mkdirSync(dir, { recursive: true });
      await page.screenshot({ path: join(dir, 'dashboard.png'), fullPage: true });
      expect(existsSync(join(dir, 'dashboard.png'))).toBe(true);
    } finally {
      await browser.close();
    }
  });
});
