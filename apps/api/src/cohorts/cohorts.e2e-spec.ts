import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DataSource } from 'typeorm';
import { loadConfig } from '@revstream/config';
import { type DomainEvent, toEnvelope } from '@revstream/events';
import { EventPublisher } from '@revstream/kafka';
import { createLogger } from '@revstream/observability';
import { createSchemaDataSource, runMigrations } from '@revstream/persistence';
import { ProjectionRunner } from '@revstream/projections';
import { type CreatedTenant, TenancyRepository } from '@revstream/tenancy';
import { eventually, isolatedStack, type IsolatedStack } from '@revstream/testing';
import { cohortsApp } from '../../../cohorts/src/cohorts.app';
import { limitReport, may, planItem, planSync, premiumUse, productEvent, tick, valuedSnapshot } from '../../../../libs/scoring/src/testing/cohort-events';
import { ApiConfig } from '../api.config';
import { createApiApp } from '../main';

describe('GET /v1/cohorts/expansion-ready and /v1/cohorts/silent-churn (Kafka -> cohorts app -> Postgres -> HTTP)', () => {
  let stack: IsolatedStack;
  let api: NestFastifyApplication;
  let url: string;
  let tenant: CreatedTenant;
  let other: CreatedTenant;
  let publisher: EventPublisher;
  let cohorts: DataSource | undefined;
  let runner: ProjectionRunner | undefined;

  const get = (path: string, token?: string): Promise<Response> => fetch(`${url}${path}`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    stack = await isolatedStack('cohorts_api');
    api = await createApiApp(loadConfig(ApiConfig, stack.env));
    await api.listen(0, '127.0.0.1');
    url = await api.getUrl();
    tenant = await api.get(TenancyRepository).createTenant('Acme');
    other = await api.get(TenancyRepository).createTenant('Other');
    publisher = new EventPublisher(stack.kafka, stack.topics, { publishTimeoutMs: 10_000, maxRecordsPerRequest: 1_000, compression: 'none' });
  });
  afterAll(async () => {
    await runner?.stop();
    await cohorts?.destroy();
    await publisher.disconnect();
    await api.close();
    await stack.cleanup();
  });

  it('answers 503, saying what to do, while the cohorts read model does not exist', async () => {
    const response = await get('/v1/cohorts/silent-churn', tenant.tokens.read);
    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({ status: 503, detail: 'the cohorts read model does not exist yet: start the cohorts app, or run `npm run migrate`' });
  });

  it('serves the current members of each cohort, as JSON and as CSV with a header row', async () => {
    cohorts = createSchemaDataSource({ url: stack.databaseUrl, schema: cohortsApp.schema, migrations: cohortsApp.migrations });
    await runMigrations(cohorts, stack.databaseUrl);
    runner = new ProjectionRunner({
      kafka: stack.kafka,
      dataSource: cohorts,
      topics: stack.topics,
      handler: cohortsApp.handlers[0]!,
      publisher,
      logger: createLogger('test', 'warn'),
    });
    await runner.start();
    const t = { tenantId: tenant.tenantId };
    const events: DomainEvent[] = [
      planSync('starter', 1000, may(1), t),
      planSync('pro', 10000, may(1), t),
      valuedSnapshot('cus_limit', may(1), 'active', [planItem('starter', 1000)], t),
      valuedSnapshot('cus_premium', may(1), 'active', [planItem('starter', 1000)], t),
      valuedSnapshot('cus_quiet', may(1), 'active', [planItem('pro', 10000)], t),
      limitReport('cus_limit', may(18), 91000, 100000, { ...t, eventId: 'evt-limit' }),
      premiumUse('cus_premium', may(19), 'audit_export', t),
      productEvent('cus_quiet', may(2), 'LOGIN', {}, t),
      tick(may(20), t),
      // The other tenant has a silent account too; the read token of the first never sees it.
      valuedSnapshot('cus_elsewhere', may(1), 'active', [planItem('starter', 1000)], { tenantId: other.tenantId }),
      tick(may(20), { tenantId: other.tenantId }),
    ];
    await publisher.publish(events.map((e) => toEnvelope(e)));
    await eventually(
      async () => (await cohorts!.query(`SELECT count(*)::int AS n FROM cohorts.memberships WHERE exited_at IS NULL`))[0].n as number,
      (n) => n === 4,
    );

    const expansion = await get('/v1/cohorts/expansion-ready', tenant.tokens.read);
    expect(expansion.status).toBe(200);
    expect(expansion.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await expansion.json()) as { members: Array<Record<string, unknown>> };
    expect(body.members.map((m) => Object.keys(m).sort())).toEqual([
      ['customerId', 'reasons', 'score', 'since'],
      ['customerId', 'reasons', 'score', 'since'],
    ]);
    expect(body.members.map(({ customerId, since, score }) => ({ customerId, since, score }))).toEqual([
      { customerId: 'cus_limit', since: may(18), score: 91 },
      { customerId: 'cus_premium', since: may(19), score: 80 },
    ]);
    expect(body.members[0]!.reasons).toEqual([
      expect.objectContaining({ code: 'paying_on_lower_tier' }),
      {
        code: 'usage_limit',
        detail: `usage 91000 of limit 100000 (91%) at ${may(18)}, threshold 80% within 30 days`,
        evidence: { eventId: 'evt-limit', occurredAt: may(18), usage: 91000, limit: 100000, usageKey: 'usage', limitKey: 'limit', ratio: 0.91, thresholdPercent: 80, lookbackDays: 30 },
      },
    ]);

    const silent = await get('/v1/cohorts/silent-churn', tenant.tokens.read);
    expect(await silent.json()).toEqual({
      members: [{ customerId: 'cus_quiet', since: may(16), score: 18, reasons: [expect.objectContaining({ code: 'billing_active' }), expect.objectContaining({ code: 'no_recent_activity' })] }],
      nextCursor: null,
    });
    // Pages: the strongest first, then the next page from the cursor.
    const firstPage = (await (await get('/v1/cohorts/expansion-ready?limit=1', tenant.tokens.read)).json()) as { members: Array<{ customerId: string }>; nextCursor: string | null };
    expect(firstPage.members.map((m) => m.customerId)).toEqual(['cus_limit']);
    const secondPage = (await (await get(`/v1/cohorts/expansion-ready?limit=1&cursor=${firstPage.nextCursor}`, tenant.tokens.read)).json()) as typeof firstPage;
    expect(secondPage).toMatchObject({ members: [{ customerId: 'cus_premium' }], nextCursor: null });

    const csv = await get('/v1/cohorts/silent-churn?format=csv', tenant.tokens.read);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename="silent-churn.csv"');
    expect((await csv.text()).split('\n')).toEqual([
      'customerId,since,score,reasons',
      `cus_quiet,${may(16)},18,"billing_active: billing active: 100.00 USD MRR on pro; no_recent_activity: no product event for 18 days, since ${may(2)} (window 14 days)"`,
      '',
    ]);
    const expansionCsv = (await (await get('/v1/cohorts/expansion-ready?format=csv', tenant.tokens.read)).text()).split('\n');
    expect(expansionCsv[0]).toBe('customerId,since,score,reasons');
    expect(expansionCsv.slice(1, 3).map((line) => line.split(',').slice(0, 3).join(','))).toEqual([`cus_limit,${may(18)},91`, `cus_premium,${may(19)},80`]);

    const theirs = await get('/v1/cohorts/silent-churn', other.tokens.read);
    expect(await theirs.json()).toEqual({ members: [expect.objectContaining({ customerId: 'cus_elsewhere' })], nextCursor: null });
    expect(await (await get('/v1/cohorts/expansion-ready', other.tokens.read)).json()).toEqual({ members: [], nextCursor: null });
  });

  it('keeps history: an account that comes back leaves silent churn, and the history shows when it entered and left', async () => {
    const t = { tenantId: tenant.tenantId };
    await publisher.publish([productEvent('cus_quiet', may(21), 'LOGIN', {}, t), tick(may(22), t)].map((e) => toEnvelope(e)));
    await eventually(
      async () => (await cohorts!.query(`SELECT count(*)::int AS n FROM cohorts.memberships WHERE customer_id = 'cus_quiet' AND exited_at IS NOT NULL`))[0].n as number,
      (n) => n === 1,
    );
    expect(await (await get('/v1/cohorts/silent-churn', tenant.tokens.read)).json()).toEqual({ members: [], nextCursor: null });

    const history = await get('/v1/cohorts/silent-churn/history', tenant.tokens.read);
    expect(history.status).toBe(200);
    const page = (await history.json()) as { items: Array<Record<string, unknown>>; nextCursor: string | null };
    // Newest entry first. The two lower-tier accounts were silent too, until their first product event.
    expect(page.items.map(({ customerId, enteredAt, exitedAt }) => ({ customerId, enteredAt, exitedAt }))).toEqual([
      { customerId: 'cus_quiet', enteredAt: may(16), exitedAt: may(21) },
      { customerId: 'cus_premium', enteredAt: may(15), exitedAt: may(19) },
      { customerId: 'cus_limit', enteredAt: may(15), exitedAt: may(18) },
    ]);
    expect(page.nextCursor).toBeNull();

    const expansion = (await (await get('/v1/cohorts/expansion-ready/history?limit=1', tenant.tokens.read)).json()) as typeof page;
    expect(expansion.items).toHaveLength(1);
    const next = (await (await get(`/v1/cohorts/expansion-ready/history?limit=1&cursor=${expansion.nextCursor}`, tenant.tokens.read)).json()) as typeof page;
    expect([...expansion.items, ...next.items].map((m) => m.customerId).sort()).toEqual(['cus_limit', 'cus_premium']);
    const one = (await (await get('/v1/cohorts/expansion-ready/history?customerId=cus_limit', tenant.tokens.read)).json()) as typeof page;
    expect(one.items.map((m) => m.customerId)).toEqual(['cus_limit']);

    const csv = await get('/v1/cohorts/silent-churn/history?format=csv', tenant.tokens.read);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect((await csv.text()).split('\n')[0]).toBe('customerId,enteredAt,exitedAt,score,reasons');
    expect(await (await get('/v1/cohorts/silent-churn/history', other.tokens.read)).json()).toEqual({ items: [expect.objectContaining({ customerId: 'cus_elsewhere', exitedAt: null })], nextCursor: null });
  });

  it('refuses requests without a read token (401), and a format it does not know (400, saying which)', async () => {
    expect((await get('/v1/cohorts/expansion-ready')).status).toBe(401);
    expect((await get('/v1/cohorts/expansion-ready', tenant.tokens.ingest)).status).toBe(401);
    const bad = await get('/v1/cohorts/silent-churn?format=xml', tenant.tokens.read);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ status: 400, detail: 'format: must be json or csv, got xml' });
  });
});
