import type { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { loadConfig } from '@revstream/config';
import type { EventPublisher } from '@revstream/kafka';
import { startProjectionApp } from '@revstream/projections';
import { type CreatedTenant, TenancyRepository } from '@revstream/tenancy';
import { eventually, isolatedStack, type IsolatedStack, readTopic, topicSize } from '@revstream/testing';
import { ApiConfig } from '../../apps/api/src/api.config';
import { createApiApp } from '../../apps/api/src/main';
import { BillingConfig } from '../../apps/billing/src/billing.config';
import { BillingModule } from '../../apps/billing/src/billing.module';
import { billingApp } from '../../apps/billing/src/billing.app';
import { registerProduct } from '../../apps/cli/src/commands/register-product.use-case';
import { GatewayConfig } from '../../apps/gateway/src/gateway.config';
import { createGatewayApp } from '../../apps/gateway/src/main';
import { send } from '../../apps/gateway/src/testing/gateway-harness';
import { MeteringConfig } from '../../apps/metering/src/metering.config';
import { MeteringModule } from '../../apps/metering/src/metering.module';
import { meteringApp } from '../../apps/metering/src/metering.app';
import { appCaughtUp, chaosPublisher, report } from './chaos-harness';

/**
 * Security (issue 10) on the whole pipeline: the gateway, the billing and metering consumers and the
 * query API, in this process, on a real broker and a real database of this file's own.
 */

const INJECTION = `cus_'; DROP TABLE billing.customers;--`;
const USAGE_INJECTION = `x' OR '1'='1'; DROP TABLE metering.usage;--`;

describe('chaos: security across tenants, tokens at rest, emails, secrets, SQL injection (real Kafka + Postgres)', () => {
  let stack: IsolatedStack;
  let publisher: EventPublisher;
  const apps: INestApplication[] = [];
  let gateway: string;
  let api: string;
  let a: CreatedTenant;
  let b: CreatedTenant;
  let repo: TenancyRepository;
  /** Every address the tests send: none may be stored in clear, anywhere. */
  const emails = ['Alice.Chaos@Example.com', 'bob.chaos+tag@example.org', 'carol.chaos@example.net', 'dave.chaos@example.io'];

  const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
  const query = (path: string, token: string) => send(api, 'GET', path, undefined, bearer(token));

  beforeAll(async () => {
    stack = await isolatedStack('chaos_security', { partitions: 2 });
    publisher = chaosPublisher(stack);
    const env = { ...stack.env, LOG_LEVEL: 'silent', IDENTITY_PROJECTION: 'on' };
    const gw = await createGatewayApp(loadConfig(GatewayConfig, env));
    await gw.listen(0, '127.0.0.1');
    gateway = await gw.getUrl();
    apps.push(gw);
    repo = gw.get(TenancyRepository);
    a = await repo.createTenant('Security A');
    b = await repo.createTenant('Security B');
    await registerProduct(repo, publisher, a.tenantId, { productId: 'prod_api', model: 'metered', eventName: 'api_calls', currency: 'USD', unitAmount: 2, flatAmount: null });
    apps.push(await startProjectionApp(BillingModule.forRoot(loadConfig(BillingConfig, env)), 0, '127.0.0.1'));
    apps.push(await startProjectionApp(MeteringModule.forRoot(loadConfig(MeteringConfig, env)), 0, '127.0.0.1'));
    const queryApi = await createApiApp(loadConfig(ApiConfig, env));
    await queryApi.listen(0, '127.0.0.1');
    api = await queryApi.getUrl();
    apps.push(queryApi);
    // The gateway's tenant directory polls every second: wait until it knows both tenants.
    await eventually(async () => (await send(gateway, 'POST', '/api/v1/usage', {}, bearer(b.tokens.ingest))).status, (s) => s !== 401, 10_000);
    await eventually(async () => (await send(gateway, 'POST', '/api/v1/usage', {}, bearer(a.tokens.ingest))).status, (s) => s !== 401, 10_000);

    // Tenant A's traffic, with emails everywhere the APIs take them and SQL in ids.
    const posts: Array<[string, unknown, Record<string, string>, number]> = [
      ['/events', { category: 'revenue', customer: { id: 'c-alice', email: emails[0], stripe_customer_id: 'cus_alice', name: 'Alice' }, subscription: { source_key: 'sub-alice', status: 'active', currency: 'USD' }, subscription_items: [{ source_key: 'item-alice', quantity: 1, plan: { source_key: 'plan_pro', name: 'Pro', price: { source_key: 'price_pro', interval: 'month', interval_count: 1, type: 'recurring', billing_scheme: 'per_unit', currency: 'USD', unit_amount: 9_900 } } }] }, bearer(a.tokens.ingest), 202],
      ['/events', { category: 'revenue', customer: { id: INJECTION, stripe_customer_id: INJECTION }, subscription: { source_key: `sub-'); DELETE FROM billing.subscriptions;--`, status: 'active', currency: 'USD' }, subscription_items: [{ source_key: 'item-sql', quantity: 2, plan: { source_key: 'plan_pro', name: 'Pro', price: { source_key: 'price_pro', interval: 'month', interval_count: 1, type: 'recurring', billing_scheme: 'per_unit', currency: 'USD', unit_amount: 9_900 } } }] }, bearer(a.tokens.ingest), 202],
      ['/api/v1/events/product', { events: [{ externalUserId: 'u_bob', stripeCustomerId: 'cus_bob', type: 'LOGIN', occurredAt: '2026-05-29T15:00:00.000Z', email: emails[1], properties: { note: `reach me at ${emails[2]} please` } }] }, bearer(a.tokens.ingest), 202],
      ['/api/ingest', { type: 'identify', data: { email: emails[3], traits: { backup: emails[0].toUpperCase() } } }, { 'x-api-token': a.tokens.public }, 202],
      ['/api/v1/usage', { productId: 'prod_api', stripeCustomerId: USAGE_INJECTION, value: 42 }, bearer(a.tokens.ingest), 200],
      ['/meter/v2/events', { transactionId: `tx'; DROP TABLE metering.usage_ledger;--`, payload: { apiCalls: 7 }, subscriberCredential: USAGE_INJECTION }, { 'x-api-key': a.tokens.ingest }, 201],
    ];
    for (const [path, body, headers, status] of posts) expect({ path, status: (await send(gateway, 'POST', path, body, headers)).status }).toEqual({ path, status });
    const cu = async () => (await appCaughtUp(stack, billingApp, stack.databaseUrl)) && (await appCaughtUp(stack, meteringApp, stack.databaseUrl));
    expect(await eventually(cu, Boolean, 60_000)).toBe(true);
  });
  afterAll(async () => {
    for (const app of apps.reverse()) await app.close();
    await publisher.disconnect();
    await stack.cleanup();
  });

  it("a tenant's token is refused across tenants, on ingest and on the query API", async () => {
    // Query API: B's read token never sees A's customer or usage; A's sees them.
    expect((await query('/v1/customers/cus_alice', a.tokens.read)).status).toBe(200);
    expect((await query('/v1/customers/cus_alice', b.tokens.read)).status).toBe(404);
    expect((await query('/v1/customers', b.tokens.read)).body).toMatchObject({ items: [] });
    expect((await query(`/v1/usage?customerId=${encodeURIComponent(USAGE_INJECTION)}`, b.tokens.read)).body).toEqual({ periods: [] });
    expect((await query('/v1/mrr/currencies', b.tokens.read)).body).toEqual({ currencies: [] });
    // Tokens of another kind are refused like unknown ones: ingest tokens on the query API, read tokens on ingest.
    expect((await query('/v1/customers', a.tokens.ingest)).status).toBe(401);
    expect((await send(gateway, 'POST', '/api/v1/usage', { productId: 'prod_api', stripeCustomerId: 'cus_1', value: 1 }, bearer(a.tokens.read))).status).toBe(401);
    // Ingest: A's product is not B's (404), and B cannot read which customer A's email belongs to.
    expect((await send(gateway, 'POST', '/api/v1/usage', { productId: 'prod_api', stripeCustomerId: 'cus_1', value: 1 }, bearer(b.tokens.ingest))).status).toBe(404);
    const knownToA = await eventually(
      async () => (await send(gateway, 'GET', `/api/v1/access?email=${encodeURIComponent(emails[0])}`, undefined, bearer(a.tokens.ingest))).status,
      (s) => s === 200,
      30_000,
    );
    expect(knownToA).toBe(200);
    expect((await send(gateway, 'GET', `/api/v1/access?email=${encodeURIComponent(emails[0])}`, undefined, bearer(b.tokens.ingest))).status).toBe(404);
    // A tenant id in the body does not move an event to another tenant: it is stored under the token's tenant.
    const before = await topicSize(stack.kafka, stack.topics.raw('revenium'));
    expect((await send(gateway, 'POST', '/meter/v2/events', { transactionId: 'tx-cross', payload: { apiCalls: 1 }, tenantId: b.tenantId }, { 'x-api-key': a.tokens.ingest, 'x-tenant-id': b.tenantId })).status).toBe(201);
    const records = await readTopic(stack.kafka, stack.topics.raw('revenium'), before + 1);
    const cross = records.map((r) => JSON.parse(r.value!) as { tenantId: string; body: { transactionId: string } }).find((e) => e.body.transactionId === 'tx-cross')!;
    expect(cross.tenantId).toBe(a.tenantId);
  });

  it('SQL-injection strings in ids are stored as data and read back as such', async () => {
    const customer = await query(`/v1/customers/${encodeURIComponent(INJECTION)}`, a.tokens.read);
    expect(customer.status).toBe(200);
    expect(customer.body).toMatchObject({ customerId: INJECTION, subscriptions: [{ subscriptionKey: `sub-'); DELETE FROM billing.subscriptions;--` }] });
    const usage = await query(`/v1/usage?customerId=${encodeURIComponent(USAGE_INJECTION)}`, a.tokens.read);
    expect(usage.status).toBe(200);
    expect((usage.body as { periods: Array<{ meter: string; value: number; eventCount: number }> }).periods.map((p) => [p.meter, p.value, p.eventCount]).sort()).toEqual([
      ['apiCalls', 7, 1],
      ['api_calls', 42, 1],
    ]);
    // Every table is still there, with its rows.
    const db = new Client({ connectionString: stack.databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM billing.customers`);
      expect(rows[0].n).toBeGreaterThanOrEqual(2);
      expect((await db.query(`SELECT count(*)::int AS n FROM metering.usage_ledger`)).rows[0].n).toBeGreaterThanOrEqual(2);
    } finally {
      await db.end();
    }
  });

  it('secret-like payloads are refused with a 400 naming where, and nothing is published', async () => {
    const jwt = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
    const cases: Array<[string, unknown, Record<string, string>]> = [
      ['/api/v1/events/product', { events: [{ externalUserId: 'u1', type: 'X', occurredAt: '2026-05-29T15:00:00.000Z', properties: { password: 'hunter2' } }] }, bearer(a.tokens.ingest)],
      ['/api/v1/events/product', { events: [{ externalUserId: 'u1', type: 'X', occurredAt: '2026-05-29T15:00:00.000Z', properties: { note: `Bearer ${jwt}` } }] }, bearer(a.tokens.ingest)],
      ['/api/ingest', { type: 'event', data: { stripe: 'sk_live_51HxxxxxxxxxxxxxxxxxxxxxxxxxAbCdEf' } }, { 'x-api-token': a.tokens.public }],
      ['/api/ingest', { type: 'event', data: { accessToken: 'abc123' } }, { 'x-api-token': a.tokens.public }],
      ['/events', { category: 'revenue', customer: { id: 'c1', name: jwt }, subscription: { source_key: 's', status: 'active', currency: 'USD' } }, bearer(a.tokens.ingest)],
      ['/meter/v2/events', { transactionId: 't', payload: { apiCalls: 1 }, subscriberCredential: 'sk_live_51HxxxxxxxxxxxxxxxxxxxxxxxxxAbCdEf' }, { 'x-api-key': a.tokens.ingest }],
      ['/meter/v2/events', { transactionId: 't', payload: { apiCalls: 1 }, sourceId: '-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----' }, { 'x-api-key': a.tokens.ingest }],
      ['/api/v1/events/product', { events: [{ externalUserId: 'u1', type: 'X', occurredAt: '2026-05-29T15:00:00.000Z', properties: { leaked: b.tokens.ingest } }] }, bearer(a.tokens.ingest)],
    ];
    const total = async () => (await Promise.all((['revlint', 'pulsora', 'valued', 'revenium'] as const).map((s) => topicSize(stack.kafka, stack.topics.raw(s))))).reduce((x, y) => x + y, 0);
    const before = await total();
    for (const [path, body, headers] of cases) {
      const r = await send(gateway, 'POST', path, body, headers);
      expect({ path, status: r.status }).toEqual({ path, status: 400 });
      expect(r.text).toMatch(/do not send credentials|Secret-like/);
    }
    expect(await total()).toBe(before);
  });

  it('tokens exist at rest only as hashes, and emails never in clear: every Postgres table and every Kafka topic', async () => {
    const tokens = [a, b].flatMap((t) => Object.values(t.tokens));
    const needles = [...tokens, ...emails.flatMap((e) => [e, e.toLowerCase()])];
    // Postgres: every table of every schema of the test database, every row as text.
    const db = new Client({ connectionString: stack.databaseUrl });
    await db.connect();
    const pgHits: string[] = [];
    let tables = 0;
    try {
      const { rows } = await db.query<{ s: string; t: string }>(
        `SELECT table_schema AS s, table_name AS t FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`,
      );
      tables = rows.length;
      for (const { s, t } of rows) {
        const { rows: hits } = await db.query<{ needle: string }>(
          `SELECT n AS needle FROM unnest($1::text[]) n WHERE EXISTS (SELECT 1 FROM "${s}"."${t}" x WHERE strpos(lower(x::text), lower(n)) > 0)`,
          [needles],
        );
        for (const h of hits) pgHits.push(`${s}.${t}: ${h.needle.slice(0, 12)}…`);
      }
    } finally {
      await db.end();
    }
    // Kafka: every record of every topic of the stack (keys, values and headers).
    const admin = stack.kafka.admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${stack.topicPrefix}.`));
    await admin.disconnect();
    const kafkaHits: string[] = [];
    let records = 0;
    for (const topic of topics) {
      const size = await topicSize(stack.kafka, topic);
      if (size === 0) continue;
      for (const r of await readTopic(stack.kafka, topic, size)) {
        records++;
        const text = `${r.key ?? ''}\n${r.value ?? ''}\n${JSON.stringify(r.headers)}`.toLowerCase();
        for (const n of needles) if (text.includes(n.toLowerCase())) kafkaHits.push(`${topic}@${r.partition}:${r.offset}: ${n.slice(0, 12)}…`);
      }
    }
    report('security scan', { tables, topics: topics.length, records, needles: needles.length, pgHits: pgHits.length, kafkaHits: kafkaHits.length });
    expect(tables).toBeGreaterThan(10);
    expect(records).toBeGreaterThan(5);
    expect(pgHits).toEqual([]);
    expect(kafkaHits).toEqual([]);
  });

  it('a revoked token is refused within 5 s, on ingest and on the query API', async () => {
    const c = await repo.createTenant('Security C');
    const ingest = () => send(gateway, 'POST', '/meter/v2/events', { transactionId: `tx-${Math.random()}`, payload: { apiCalls: 1 }, subscriberCredential: 'cus_c' }, { 'x-api-key': c.tokens.ingest });
    const read = () => query('/v1/customers', c.tokens.read);
    expect((await eventually(async () => (await ingest()).status, (s) => s === 201, 10_000))).toBe(201);
    expect((await eventually(async () => (await read()).status, (s) => s === 200, 10_000))).toBe(200);

    // What `npm run cli -- tokens revoke <token>` does.
    const revokedAt = Date.now();
    expect(await repo.revokeToken(c.tokens.ingest)).toBe(true);
    expect(await repo.revokeToken(c.tokens.read)).toBe(true);
    const deadline = revokedAt + 5_000;
    let ingestRefusedAt = 0;
    let readRefusedAt = 0;
    while ((ingestRefusedAt === 0 || readRefusedAt === 0) && Date.now() < deadline + 5_000) {
      if (ingestRefusedAt === 0 && (await ingest()).status === 401) ingestRefusedAt = Date.now();
      if (readRefusedAt === 0 && (await read()).status === 401) readRefusedAt = Date.now();
      await new Promise((r) => setTimeout(r, 50));
    }
    report('revocation', { ingestRefusedAfterMs: ingestRefusedAt - revokedAt, readRefusedAfterMs: readRefusedAt - revokedAt });
    expect(ingestRefusedAt).toBeGreaterThan(0);
    expect(readRefusedAt).toBeGreaterThan(0);
    expect(ingestRefusedAt).toBeLessThanOrEqual(deadline);
    expect(readRefusedAt).toBeLessThanOrEqual(deadline);
    // And it stays refused.
    expect((await ingest()).status).toBe(401);
    expect((await read()).status).toBe(401);
  });
});
