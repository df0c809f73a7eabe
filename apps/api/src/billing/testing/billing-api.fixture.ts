import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DataSource } from 'typeorm';
import { loadConfig } from '@revstream/config';
import { EventPublisher } from '@revstream/kafka';
import { createLogger } from '@revstream/observability';
import { createSchemaDataSource, runMigrations, sqlClient } from '@revstream/persistence';
import { documentProjectionHandler, ProjectionRunner } from '@revstream/projections';
import { createTenancyDataSource, type CreatedTenant, TenancyRepository } from '@revstream/tenancy';
import { eventually, isolatedStack, type IsolatedStack } from '@revstream/testing';
import { BILLING_MIGRATIONS } from '../../../../billing/src/billing.app';
import { billingProjection } from '../../../../billing/src/billing.projection';
import { billingReadModel } from '../../../../billing/src/billing.read-model';
import { pulsoraEnvelope, subscriptionBody, valuedEnvelope } from '../../../../billing/src/testing/billing-fixtures';
import { ApiConfig } from '../../api.config';
import { createApiApp } from '../../main';

export const day = (d: number): string => `2026-03-${String(d).padStart(2, '0')}T12:00:00.000Z`;

export interface BillingApiStack {
  acme: CreatedTenant;
  other: CreatedTenant;
  get: (path: string, token?: string | null) => Promise<{ status: number; body: Record<string, unknown> }>;
  close: () => Promise<void>;
}

/**
 * Two tenants' Valued and Pulsora events published to Kafka, projected by the billing consumer into
 * Postgres, and the query API over them: the stack the billing endpoints' e2e specs read.
 * Acme (USD unless said): $2,000 a year for 4 seats (day 1); Bronze $100 (day 2) → Gold $250 (day 5);
 * a Pulsora $49.99 subscription (day 3); EUR 90 (day 6); $50 (day 8) canceled on day 9.
 */
export async function billingApiStack(label: string): Promise<BillingApiStack> {
  const stack: IsolatedStack = await isolatedStack(label);
  const tenancy: DataSource = createTenancyDataSource(stack.databaseUrl);
  await runMigrations(tenancy, stack.databaseUrl);
  const repo = new TenancyRepository(sqlClient(tenancy));
  const acme = await repo.createTenant('Acme');
  const other = await repo.createTenant('Other');

  const billing = createSchemaDataSource({ url: stack.databaseUrl, schema: 'billing', migrations: BILLING_MIGRATIONS });
  await runMigrations(billing, stack.databaseUrl);
  const publisher = new EventPublisher(stack.kafka, stack.topics, { publishTimeoutMs: 10_000, maxRecordsPerRequest: 1_000, compression: 'none' });
  const a = acme.tenantId;
  await publisher.publish([
    valuedEnvelope('e1', a, day(1), subscriptionBody('cus_seats', 'sub_1', 'active', 50_000, 'year', 4)), // $2,000 a year for 4 seats
    valuedEnvelope('e2', a, day(2), subscriptionBody('cus_bronze', 'sub_2', 'active', 10_000, 'month', 1, 'USD', 'Bronze')),
    valuedEnvelope('e3', a, day(5), subscriptionBody('cus_bronze', 'sub_2', 'active', 25_000, 'month', 1, 'USD', 'Gold')),
    valuedEnvelope('e4', a, day(6), subscriptionBody('cus_eu', 'sub_3', 'active', 9_000, 'month', 1, 'EUR')),
    valuedEnvelope('e5', a, day(8), subscriptionBody('cus_gone', 'sub_4', 'active', 5_000, 'month')),
    valuedEnvelope('e6', a, day(9), subscriptionBody('cus_gone', 'sub_4', 'canceled', 5_000, 'month')),
    pulsoraEnvelope('p1', a, day(3), { customer_id: 'cus_42', transaction_id: 'ch_1', event_type: 'subscription', amount: 49.99 }),
    valuedEnvelope('o1', other.tenantId, day(1), subscriptionBody('cus_other', 'sub_9', 'active', 77_700, 'month')),
  ]);
  const runner = new ProjectionRunner({
    kafka: stack.kafka,
    dataSource: billing,
    topics: stack.topics,
    handler: documentProjectionHandler(billingProjection, billingReadModel),
    publisher,
    logger: createLogger('test', 'warn'),
  });
  await runner.start();
  await eventually(() => billing.query(`SELECT count(*)::int AS n FROM billing.customers`), (rows) => rows[0].n === 6);

  const api: NestFastifyApplication = await createApiApp(loadConfig(ApiConfig, stack.env));
  await api.listen(0, '127.0.0.1');
  const url = await api.getUrl();
  return {
    acme,
    other,
    get: async (path, token = acme.tokens.read) => {
      const response = await fetch(`${url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
    close: async () => {
      await api.close();
      await runner.stop();
      await publisher.disconnect();
      await billing.destroy();
      await tenancy.destroy();
      await stack.cleanup();
    },
  };
}
