import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DataSource } from 'typeorm';
import { loadConfig } from '@revstream/config';
import { createEnvelope } from '@revstream/events';
import { EventPublisher } from '@revstream/kafka';
import { createLogger } from '@revstream/observability';
import { CORE_MIGRATIONS, createSchemaDataSource, runMigrations, sqlClient } from '@revstream/persistence';
import { documentProjectionHandler, ProjectionRunner } from '@revstream/projections';
import { createTenancyDataSource, TenancyRepository } from '@revstream/tenancy';
import { eventually, isolatedStack, type IsolatedStack } from '@revstream/testing';
import { TallyTables1763700000001, tallyProjection, tallyReadModel } from '../../../../libs/projections/src/testing/tally.projection';
import { ApiConfig } from '../api.config';
import { createApiApp } from '../main';

describe('query API: dead letters, problem+json errors, OpenAPI (Kafka -> Postgres -> HTTP)', () => {
  let stack: IsolatedStack;
  let api: NestFastifyApplication;
  let url: string;
  let publisher: EventPublisher;
  let projectionDs: DataSource;
  let tenancyDs: DataSource;
  let runner: ProjectionRunner;
  let tenantA: { tenantId: string; tokens: { read: string } };
  let tenantB: { tenantId: string; tokens: { read: string } };

  beforeAll(async () => {
    stack = await isolatedStack('api-dead-letters');
    tenancyDs = createTenancyDataSource(stack.databaseUrl);
    await runMigrations(tenancyDs, stack.databaseUrl);
    const repo = new TenancyRepository(sqlClient(tenancyDs));
    tenantA = await repo.createTenant('A');
    tenantB = await repo.createTenant('B');

    projectionDs = createSchemaDataSource({ url: stack.databaseUrl, schema: 'tally', migrations: [...CORE_MIGRATIONS, TallyTables1763700000001] });
    await runMigrations(projectionDs, stack.databaseUrl);
    publisher = new EventPublisher(stack.kafka, stack.topics, { publishTimeoutMs: 10_000, maxRecordsPerRequest: 100, compression: 'none' });
    runner = new ProjectionRunner({ kafka: stack.kafka, dataSource: projectionDs, topics: stack.topics, handler: documentProjectionHandler(tallyProjection, tallyReadModel), publisher, logger: createLogger('test', 'error') });
    await runner.start();
    const usage = (value: number, i: number) =>
      createEnvelope({ eventId: `e${i}`, tenantId: tenantA.tenantId, type: 'revnu.usage', receivedAt: '2026-06-01T00:00:00.000Z', customerId: 'cus_1', producer: 'test', body: { productId: 'p', stripeCustomerId: 'cus_1', value, eventName: 'calls' } });
    await publisher.publish([usage(1, 1), usage(13, 2), usage(13, 3), usage(2, 4)]); // the tally projection refuses 13
    await eventually(async () => (await projectionDs.query(`SELECT count(*)::int AS n FROM tally.dead_letters`))[0].n, (n) => n === 2);

    api = await createApiApp(loadConfig(ApiConfig, stack.env));
    await api.listen(0, '127.0.0.1');
    url = await api.getUrl();
  });
  afterAll(async () => {
    await runner.stop();
    await api.close();
    await publisher.disconnect();
    await projectionDs.destroy();
    await tenancyDs.destroy();
    await stack.cleanup();
  });

  const get = (path: string, token?: string) => fetch(`${url}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  interface ItemsPage {
    items: Array<Record<string, unknown>>;
    nextCursor: string | null;
  }

  it('summarises the tenant\'s dead letters by consumer and reason, and lists them with cursor pagination', async () => {
    const summary = await get('/v1/dead-letters', tenantA.tokens.read);
    expect(summary.status).toBe(200);
    expect(await summary.json()).toEqual({ total: 2, byReason: [{ consumer: 'tally', reason: 'invalid_body', count: 2 }] });

    const first = (await (await get('/v1/dead-letters/events?limit=1', tenantA.tokens.read)).json()) as ItemsPage;
    expect(first.items).toHaveLength(1);
    expect(first.items[0]).toMatchObject({ consumer: 'tally', reason: 'invalid_body', eventType: 'revnu.usage', detail: 'value 13 is refused by the tally projection' });
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = (await (await get(`/v1/dead-letters/events?limit=1&cursor=${first.nextCursor}`, tenantA.tokens.read)).json()) as ItemsPage;
    expect(second.items).toHaveLength(1);
    expect(second.items[0]!.eventId).not.toBe(first.items[0]!.eventId);
    expect(second.nextCursor).toBeNull();
  });

  it('never shows one tenant another tenant\'s dead letters', async () => {
    expect(await (await get('/v1/dead-letters', tenantB.tokens.read)).json()).toEqual({ total: 0, byReason: [] });
  });

  it('answers errors as RFC 9457 problem+json', async () => {
    const unauthorized = await get('/v1/dead-letters');
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await unauthorized.json()).toMatchObject({ status: 401, title: 'Unauthorized', detail: expect.stringMatching(/read token/), instance: '/v1/dead-letters' });

    const badLimit = await get('/v1/dead-letters/events?limit=9999', tenantA.tokens.read);
    expect(badLimit.status).toBe(400);
    expect(await badLimit.json()).toMatchObject({ status: 400, detail: 'limit: must be a whole number from 1 to 500' });
    const badCursor = await get('/v1/dead-letters/events?cursor=nonsense', tenantA.tokens.read);
    expect(badCursor.status).toBe(400);

    const missing = await get('/v1/nothing-here', tenantA.tokens.read);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('publishes its OpenAPI document at /docs-json and Swagger UI at /docs', async () => {
    const doc = (await (await get('/docs-json')).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/dead-letters', '/v1/dead-letters/events']));
    const ui = await get('/docs');
    expect(ui.status).toBe(200);
    expect(await ui.text()).toMatch(/swagger/i);
  });
});
