import type { Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { createEnvelope, encodeEnvelope, type Envelope, type EventDataMap, type EventType } from '@revstream/events';
import type { EventPublisher } from '@revstream/kafka';
import { createLogger } from '@revstream/observability';
import { createSchemaDataSource, runMigrations } from '@revstream/persistence';
import { type LogRecord, ProjectionRunner } from '@revstream/projections';
import type { IsolatedStack } from '@revstream/testing';
import { eventually } from '@revstream/testing';
import { meteringApp } from '../metering.app';
import { meteringHandler } from '../metering.projection';

/** Envelopes, runners and waits for the metering integration tests (real Kafka, real Postgres). */
export const TENANT = 'tn_metering';
export const METERING_TABLES = ['usage_ledger', 'usage', 'charges', 'adjustments', 'meters', 'metering_elements', 'meter_prices', 'subscriptions', 'dead_letters'];

let seq = 0;
export interface EnvelopeOptions {
  eventId?: string;
  tenantId?: string;
  customerId?: string | null;
  occurredAt?: string;
  receivedAt?: string;
  idempotencyKey?: string | null;
}

export function envelope<T extends EventType>(type: T, body: EventDataMap[T], o: EnvelopeOptions = {}): Envelope<T> {
  const receivedAt = o.receivedAt ?? o.occurredAt ?? '2026-05-29T15:00:00.000Z';
  return createEnvelope({
    eventId: o.eventId ?? `evt-${process.pid}-${++seq}`,
    tenantId: o.tenantId ?? TENANT,
    type,
    receivedAt,
    occurredAt: o.occurredAt ?? receivedAt,
    customerId: o.customerId === undefined ? null : o.customerId,
    idempotencyKey: o.idempotencyKey ?? null,
    producer: 'test',
    body,
  });
}

export const revnuUsage = (customer: string, value: number, eventName: string, o: EnvelopeOptions = {}): Envelope<'revnu.usage'> =>
  envelope('revnu.usage', { productId: `prod_${eventName}`, stripeCustomerId: customer, value, eventName }, { customerId: customer, ...o });

export const reveniumMeter = (
  customer: string | null,
  transactionId: string,
  payload: Record<string, number>,
  o: EnvelopeOptions & { sourceId?: string | null } = {},
): Envelope<'revenium.meter'> =>
  envelope(
    'revenium.meter',
    { transactionId, payload, sourceId: o.sourceId === undefined ? 'src_api' : o.sourceId, subscriberCredential: customer, sourceType: 'SDK_JS' },
    { customerId: customer, idempotencyKey: transactionId, ...o },
  );

export const revlintEvent = (customer: string, type: string, properties: Record<string, string | number>, o: EnvelopeOptions = {}): Envelope<'revlint.product_event'> =>
  envelope(
    'revlint.product_event',
    { externalUserId: `user_${customer}`, stripeCustomerId: customer, type, occurredAt: o.occurredAt ?? '2026-05-29T15:00:00.000Z', properties },
    { customerId: customer, ...o },
  );

export const product = (
  productId: string,
  model: 'flat' | 'metered' | 'hybrid',
  eventName: string,
  amounts: { unitAmount?: number | null; flatAmount?: number | null; currency?: string },
  o: EnvelopeOptions = {},
): Envelope<'catalog.product_registered'> =>
  envelope(
    'catalog.product_registered',
    { productId, model, eventName, currency: amounts.currency ?? 'USD', unitAmount: amounts.unitAmount ?? null, flatAmount: amounts.flatAmount ?? null },
    o,
  );

/** A Valued subscription snapshot: started at `startedAt` (ISO), renewing every `count` `interval`. */
export const valuedSubscription = (
  customer: string,
  subscriptionKey: string,
  startedAt: string,
  interval: 'day' | 'week' | 'month' | 'year',
  count: number,
  o: EnvelopeOptions = {},
): Envelope<'valued.revenue'> =>
  envelope(
    'valued.revenue',
    {
      category: 'revenue',
      customer: { id: customer },
      subscription: { source_key: subscriptionKey, started_at: Date.parse(startedAt) / 1000, status: 'active', currency: 'USD' },
      subscription_items: [
        { source_key: `${subscriptionKey}-item`, quantity: 1, price: { source_key: `${subscriptionKey}-price`, interval, interval_count: count, type: 'recurring', currency: 'USD', unit_amount: 999 } },
      ],
    },
    { customerId: customer, ...o },
  );

export const asRecords = (envelopes: readonly Envelope[], firstOffset = 0): LogRecord[] =>
  envelopes.map((e, i) => ({ offset: String(firstOffset + i), key: encodeEnvelope(e).key, value: encodeEnvelope(e).value }));

export const logger = createLogger('metering-test', 'warn');

/** The metering schema, migrated, in the given database. */
export async function openMeteringSchema(url: string): Promise<DataSource> {
  const ds = createSchemaDataSource({ url, schema: meteringApp.schema, migrations: meteringApp.migrations });
  await runMigrations(ds, url);
  return ds;
}

export function meteringRunner(stack: IsolatedStack, ds: DataSource, publisher: EventPublisher, maxRecordsPerTransaction = 500): ProjectionRunner {
  return new ProjectionRunner({ kafka: stack.kafka, dataSource: ds, topics: stack.topics, handler: meteringHandler(), publisher, logger, maxRecordsPerTransaction });
}

/** The last offset of every non-empty partition of the topics, as Kafka has them now. */
export async function endOffsets(kafka: Kafka, topics: readonly string[]): Promise<Map<string, string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const out = new Map<string, string>();
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        if (BigInt(p.high) > 0n) out.set(`${topic}:${p.partition}`, (BigInt(p.high) - 1n).toString());
      }
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

/** Waits until the runner's checkpoints in `ds` have reached every offset in `ends`. Returns whether they did. */
export async function caughtUp(ds: DataSource, ends: ReadonlyMap<string, string>): Promise<boolean> {
  const reached = await eventually(
    async () => {
      const rows = (await ds.query(`SELECT topic, partition, "offset"::text AS "offset" FROM metering.checkpoints WHERE consumer = 'metering'`)) as Array<{
        topic: string;
        partition: number;
        offset: string;
      }>;
      const at = new Map(rows.map((r) => [`${r.topic}:${r.partition}`, r.offset]));
      return [...ends].every(([k, end]) => at.has(k) && BigInt(at.get(k)!) >= BigInt(end));
    },
    (done) => done,
    120_000,
  );
  return reached;
}

/** Starts a runner on `ds`, waits until it has applied everything the topics hold now, stops it. Returns whether it got there. */
export async function consumeToEnd(stack: IsolatedStack, ds: DataSource, publisher: EventPublisher, maxRecordsPerTransaction = 500): Promise<boolean> {
  const runner = meteringRunner(stack, ds, publisher, maxRecordsPerTransaction);
  const ends = await endOffsets(stack.kafka, runner.topicNames);
  await runner.start();
  try {
    return await caughtUp(ds, ends);
  } finally {
    await runner.stop();
  }
}
