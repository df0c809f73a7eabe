import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DataSource } from 'typeorm';
import { loadConfig } from '@revstream/config';
import { EventPublisher } from '@revstream/kafka';
import { runMigrations, sqlClient } from '@revstream/persistence';
import { createTenancyDataSource, TenancyRepository } from '@revstream/tenancy';
import { isolatedStack, type IsolatedStack } from '@revstream/testing';
import {
  consumeToEnd,
  openMeteringSchema,
  product,
  reveniumMeter,
  revnuUsage,
} from '../../../metering/src/testing/metering-fixtures';
import { ApiConfig } from '../api.config';
import { createApiApp } from '../main';

/** GET /v1/usage over HTTP, on read models the metering app built from Kafka into Postgres. */
describe('GET /v1/usage (HTTP -> Kafka -> Postgres)', () => {
  let stack: IsolatedStack;
  let api: NestFastifyApplication;
  let url: string;
  let tenancy: DataSource;
  let metering: DataSource;
  let publisher: EventPublisher;
  let tokenA: string;
  let tokenB: string;

  const get = async (query: string, token: string | null = tokenA): Promise<{ status: number; body: unknown }> => {
    const response = await fetch(`${url}/v1/usage${query}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: response.status, body: await response.json() };
  };

  beforeAll(async () => {
    stack = await isolatedStack('usage_api', { partitions: 2 });
    tenancy = createTenancyDataSource(stack.databaseUrl);
    await runMigrations(tenancy, stack.databaseUrl);
    const repo = new TenancyRepository(sqlClient(tenancy));
    const a = await repo.createTenant('Tenant A');
    const b = await repo.createTenant('Tenant B');
    tokenA = a.tokens.read;
    tokenB = b.tokens.read;

    publisher = new EventPublisher(stack.kafka, stack.topics, { publishTimeoutMs: 10_000, maxRecordsPerRequest: 1_000, compression: 'none' });
    await publisher.publish([
      product('prod_api', 'hybrid', 'api_calls', { unitAmount: 2, flatAmount: 500 }, { tenantId: a.tenantId }),
      revnuUsage('cus_42', 100, 'api_calls', { tenantId: a.tenantId, occurredAt: '2026-05-03T10:00:00.000Z' }),
      revnuUsage('cus_42', 25, 'api_calls', { tenantId: a.tenantId, occurredAt: '2026-06-03T10:00:00.000Z' }),
      reveniumMeter('cus_42', 'txn-1', { storageGB: 15.5 }, { tenantId: a.tenantId, occurredAt: '2026-05-04T10:00:00.000Z' }),
      revnuUsage('cus_b', 9, 'api_calls', { tenantId: b.tenantId, occurredAt: '2026-05-03T10:00:00.000Z' }),
    ]);
    metering = await openMeteringSchema(stack.databaseUrl);
    expect(await consumeToEnd(stack, metering, publisher)).toBe(true);

    api = await createApiApp(loadConfig(ApiConfig, stack.env));
    await api.listen(0, '127.0.0.1');
    url = await api.getUrl();
  });
  afterAll(async () => {
    await api.close();
    await metering.destroy();
    await tenancy.destroy();
    await publisher.disconnect();
    await stack.cleanup();
  });

  it('answers the periods of a customer, every meter, in the documented shape', async () => {
    expect(await get('?customerId=cus_42')).toEqual({
      status: 200,
      body: {
        periods: [
          { meter: 'api_calls', periodStart: '2026-05-01T00:00:00.000Z', periodEnd: '2026-06-01T00:00:00.000Z', value: 100, eventCount: 1, charge: { currency: 'USD', amount: 700 } },
          { meter: 'api_calls', periodStart: '2026-06-01T00:00:00.000Z', periodEnd: '2026-07-01T00:00:00.000Z', value: 25, eventCount: 1, charge: { currency: 'USD', amount: 550 } },
          { meter: 'storageGB', periodStart: '2026-05-01T00:00:00.000Z', periodEnd: '2026-06-01T00:00:00.000Z', value: 15.5, eventCount: 1, charge: null },
        ],
      },
    });
  });

  it('narrows to one meter', async () => {
    const { status, body } = await get('?customerId=cus_42&meter=storageGB');
    expect(status).toBe(200);
    expect((body as { periods: Array<{ meter: string }> }).periods.map((p) => p.meter)).toEqual(['storageGB']);
    expect(await get('?customerId=cus_42&meter=nothing')).toEqual({ status: 200, body: { periods: [] } });
  });

  it('refuses missing or invalid parameters with a 400 problem (RFC 9457) that says which and why', async () => {
    const problem = (path: string, message: string) => ({
      status: 400,
      body: expect.objectContaining({ status: 400, title: 'Bad Request', detail: `${path}: ${message}`, errors: [{ path, message }] }),
    });
    expect(await get('')).toEqual(problem('customerId', 'is required (GET /v1/usage?customerId=cus_…)'));
    expect(await get('?customerId=')).toEqual(problem('customerId', 'is required (GET /v1/usage?customerId=cus_…)'));
    expect(await get('?customerId=a&customerId=b')).toEqual(problem('customerId', 'must be given once, as a string'));
    expect(await get('?customerId=cus_42&meter=')).toEqual(problem('meter', 'must not be empty (leave it out for every meter)'));
    expect(await get('?customerId=cus_42&from=2026-01-01')).toEqual(problem('from', 'is not a query parameter of this endpoint'));
    expect(await get(`?customerId=${'x'.repeat(201)}`)).toEqual(problem('customerId', 'at most 200 characters'));
    const response = await fetch(`${url}/v1/usage`, { headers: { authorization: `Bearer ${tokenA}` } });
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('lists every customer\'s periods, most recent first, a page at a time', async () => {
    const first = (await get('/periods?limit=2')) as { status: number; body: { items: Array<Record<string, unknown>>; nextCursor: string | null } };
    expect(first.status).toBe(200);
    expect(first.body.items).toEqual([
      { customerId: 'cus_42', meter: 'api_calls', periodStart: '2026-06-01T00:00:00.000Z', periodEnd: '2026-07-01T00:00:00.000Z', value: 25, eventCount: 1, charge: { currency: 'USD', amount: 550 } },
      { customerId: 'cus_42', meter: 'api_calls', periodStart: '2026-05-01T00:00:00.000Z', periodEnd: '2026-06-01T00:00:00.000Z', value: 100, eventCount: 1, charge: { currency: 'USD', amount: 700 } },
    ]);
    const second = (await get(`/periods?limit=2&cursor=${first.body.nextCursor}`)) as typeof first;
    expect(second.body).toEqual({
      items: [{ customerId: 'cus_42', meter: 'storageGB', periodStart: '2026-05-01T00:00:00.000Z', periodEnd: '2026-06-01T00:00:00.000Z', value: 15.5, eventCount: 1, charge: null }],
      nextCursor: null,
    });
    expect(await get('/periods?limit=0')).toEqual({ status: 400, body: expect.objectContaining({ detail: 'limit: must be a whole number from 1 to 500' }) });
    expect(await get('/periods?cursor=nonsense')).toEqual({ status: 400, body: expect.objectContaining({ detail: 'cursor: not a cursor this API returned' }) });
    expect(((await get('/periods', tokenB)).body as { items: Array<{ customerId: string }> }).items.map((i) => i.customerId)).toEqual(['cus_b']);
  });

  it('needs a read token, and shows a tenant only its own customers: another tenant’s customer is an empty list', async () => {
    expect((await get('?customerId=cus_42', null)).status).toBe(401);
    expect(await get('?customerId=cus_42', tokenB)).toEqual({ status: 200, body: { periods: [] } });
    expect(await get('?customerId=cus_b', tokenB)).toEqual({
      status: 200,
      body: { periods: [{ meter: 'api_calls', periodStart: '2026-05-01T00:00:00.000Z', periodEnd: '2026-06-01T00:00:00.000Z', value: 9, eventCount: 1, charge: null }] },
    });
    expect(await get('?customerId=cus_b', tokenA)).toEqual({ status: 200, body: { periods: [] } });
  });
});
