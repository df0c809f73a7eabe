import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@revstream/config';
import { decodeEnvelope, toEnvelope } from '@revstream/events';
import { EventPublisher } from '@revstream/kafka';
import { createLogger } from '@revstream/observability';
import { createSchemaDataSource, runMigrations, sqlClient } from '@revstream/persistence';
import { startProjectionApp } from '@revstream/projections';
import { createTenancyDataSource, TenancyRepository } from '@revstream/tenancy';
import { eventually, isolatedStack, type IsolatedStack, readTopic } from '@revstream/testing';
import { planItem, productEvent, valuedSnapshot } from '../../../libs/scoring/src/testing/cohort-events';
import { ClockTicker, tickEnvelope } from './clock-ticker';
import { publishCohortSettings } from './cohort-settings.command';
import { CohortsConfig } from './cohorts.config';
import { CohortsModule, knownTenants } from './cohorts.module';
import { cohortsApp } from './cohorts.app';

const logger = createLogger('test', 'warn');
const DAY = 86_400_000;

describe('the clock ticker and the cohorts app (real Kafka + Postgres)', () => {
  let stack: IsolatedStack;
  let publisher: EventPublisher;

  beforeAll(async () => {
    stack = await isolatedStack('cohorts_clock', { partitions: 2 });
    publisher = new EventPublisher(stack.kafka, stack.topics, { publishTimeoutMs: 10_000, maxRecordsPerRequest: 1_000, compression: 'none' });
  });
  afterAll(async () => {
    await publisher.disconnect();
    await stack.cleanup();
  });

  it('publishes one tick per known tenant, on the interval slot, with an id two tickers agree on', async () => {
    const slot = Date.parse('2026-06-01T10:05:00.000Z');
    const tenants = async (): Promise<string[]> => ['tn_a', 'tn_b'];
    const one = new ClockTicker({ intervalMs: 300_000, tenants, publisher, logger, now: () => slot + 123_456 });
    const two = new ClockTicker({ intervalMs: 300_000, tenants, publisher, logger, now: () => slot + 200_000 });
    expect(await one.tick()).toBe(2);
    expect(await two.tick()).toBe(2);

    const records = await readTopic(stack.kafka, stack.topics.name('clock'), 4);
    const ticks = records.map((r) => decodeEnvelope(r.value)).map((e) => ({ type: e.type, tenantId: e.metadata.tenantId, eventId: e.metadata.eventId, data: e.data }));
    expect(ticks.sort((a, b) => (a.tenantId < b.tenantId ? -1 : 1))).toEqual([
      { type: 'clock.tick', tenantId: 'tn_a', eventId: 'clock:tn_a:2026-06-01T10:05:00.000Z', data: { at: '2026-06-01T10:05:00.000Z' } },
      { type: 'clock.tick', tenantId: 'tn_a', eventId: 'clock:tn_a:2026-06-01T10:05:00.000Z', data: { at: '2026-06-01T10:05:00.000Z' } },
      { type: 'clock.tick', tenantId: 'tn_b', eventId: 'clock:tn_b:2026-06-01T10:05:00.000Z', data: { at: '2026-06-01T10:05:00.000Z' } },
      { type: 'clock.tick', tenantId: 'tn_b', eventId: 'clock:tn_b:2026-06-01T10:05:00.000Z', data: { at: '2026-06-01T10:05:00.000Z' } },
    ]);
    expect(records.map((r) => r.key).sort()).toEqual(['tn_a:', 'tn_a:', 'tn_b:', 'tn_b:']);
    const first = toEnvelope(decodeEnvelope(records[0]!.value));
    expect(first).toEqual(tickEnvelope(first.tenantId, slot));
  });

  it('boots the app: its own ticker moves time for the tenants it knows, and an account goes silent; settings come from the CLI through the log', async () => {
    // A tenant, for the CLI to find.
    const tenancy = createTenancyDataSource(stack.databaseUrl, 1);
    await runMigrations(tenancy, stack.databaseUrl);
    const { tenantId } = await new TenancyRepository(sqlClient(tenancy)).createTenant('Acme');
    await tenancy.destroy();

    // Twenty days ago (the wall clock is the ticker's, so the data is relative to it): paying, one login.
    const ago = (days: number): string => new Date(Date.now() - days * DAY).toISOString();
    const t = { tenantId };
    await publisher.publish([valuedSnapshot('cus_old', ago(20), 'active', [planItem('starter', 1000)], t), productEvent('cus_old', ago(20), 'LOGIN', {}, t)].map((e) => toEnvelope(e)));

    const config = loadConfig(CohortsConfig, { ...stack.env, COHORTS_TICK_INTERVAL_MS: '1000', CONSUMER_MAX_BATCH: '50' });
    const app: NestFastifyApplication = await startProjectionApp(CohortsModule.forRoot(config), 0, '127.0.0.1');
    const ds = createSchemaDataSource({ url: stack.databaseUrl, schema: cohortsApp.schema });
    await ds.initialize();
    try {
      expect(await eventually(() => knownTenants(ds)(), (k) => k.includes(tenantId))).toContain(tenantId);
      const silent = await eventually(
        () => ds.query(`SELECT customer_id, score FROM cohorts.memberships WHERE tenant_id = $1 AND cohort = 'silent_churn' AND exited_at IS NULL`, [tenantId]),
        (rows: unknown[]) => rows.length === 1,
      );
      expect(silent).toEqual([{ customer_id: 'cus_old', score: 20 }]);

      // The operator widens the window to 30 days: the account is not silent any more.
      const published = await publishCohortSettings(loadConfig(CohortsConfig, stack.env), tenantId, { silentWindowDays: 30 });
      expect(published).toMatchObject({ type: 'catalog.cohort_settings_changed', source: 'catalog', tenantId, body: { silentWindowDays: 30 } });
      const settled = await eventually(
        () => ds.query(`SELECT silent_window_days FROM cohorts.tenant_settings WHERE tenant_id = $1`, [tenantId]),
        (rows: Array<{ silent_window_days: number }>) => rows[0]?.silent_window_days === 30,
      );
      expect(settled).toEqual([{ silent_window_days: 30 }]);
      expect(await ds.query(`SELECT count(*)::int AS n FROM cohorts.memberships WHERE tenant_id = $1`, [tenantId])).toEqual([{ n: 0 }]);
      await expect(publishCohortSettings(loadConfig(CohortsConfig, stack.env), tenantId, { silentWindowDays: 0 })).rejects.toThrow(/silentWindowDays: must be an integer from 1 to 365/);
      await expect(publishCohortSettings(loadConfig(CohortsConfig, stack.env), 'tn_nobody', { silentWindowDays: 3 })).rejects.toThrow('no tenant tn_nobody');

      const health = await fetch(`${await app.getUrl()}/health`);
      expect(health.status).toBe(200);
    } finally {
      await ds.destroy();
      await app.close();
    }
  });
});
