import type { DataSource } from 'typeorm';
import { type Envelope, EVENT_TYPES } from '@revstream/events';
import { EventPublisher } from '@revstream/kafka';
import { dropDatabase, ensureDatabase, schemaChecksums } from '@revstream/persistence';
import { ProjectionRunner } from '@revstream/projections';
import { isolatedStack, type IsolatedStack } from '@revstream/testing';
import { meteringHandler } from './metering.projection';
import {
  asRecords,
  logger,
  METERING_TABLES,
  openMeteringSchema,
  product,
  reveniumMeter,
  revnuUsage,
  TENANT,
  valuedSubscription,
} from './testing/metering-fixtures';

/**
 * Metering's bulk rebuild (docs/replay.md), batch by batch against the live handler: periods held in
 * memory and written once at the end, subscriptions and prices that arrive after the usage they
 * concern, a batch that hits a data error and is redone event by event, and an end without the
 * memory of the phase (another process ran it).
 */
describe('metering: a bulk phase ends with the tables live processing builds (real Kafka + Postgres)', () => {
  let stack: IsolatedStack;
  let publisher: EventPublisher;
  const opened: Array<{ ds: DataSource; url: string }> = [];

  beforeAll(async () => {
    stack = await isolatedStack('metering_bulk', { partitions: 1 });
    publisher = new EventPublisher(stack.kafka, stack.topics, { publishTimeoutMs: 10_000, maxRecordsPerRequest: 1_000, compression: 'none' });
  });
  afterAll(async () => {
    for (const o of opened) {
      await o.ds.destroy();
      await dropDatabase(o.url);
    }
    await publisher.disconnect();
    await stack.cleanup();
  });

  const database = async (suffix: string): Promise<DataSource> => {
    const url = new URL(stack.databaseUrl);
    url.pathname = `${url.pathname}_${suffix}`;
    await ensureDatabase(url.toString());
    const ds = await openMeteringSchema(url.toString());
    opened.push({ ds, url: url.toString() });
    return ds;
  };
  const runnerOf = (ds: DataSource, handler = meteringHandler()): ProjectionRunner =>
    new ProjectionRunner({ kafka: stack.kafka, dataSource: ds, topics: stack.topics, handler, publisher, logger, maxRecordsPerTransaction: 10_000 });

  /** Applies each batch as one transaction per topic, at the next offsets of each topic's partition 0. */
  const applyAll = async (runner: ProjectionRunner, batches: readonly Envelope[][]): Promise<void> => {
    const next = new Map<string, number>();
    for (const batch of batches) {
      const byTopic = new Map<string, Envelope[]>();
      for (const e of batch) {
        const topic = stack.topics.name(EVENT_TYPES[e.type].topic);
        byTopic.set(topic, [...(byTopic.get(topic) ?? []), e]);
      }
      for (const [topic, events] of byTopic) {
        await runner.applyRecords(topic, 0, asRecords(events, next.get(topic) ?? 0));
        next.set(topic, (next.get(topic) ?? 0) + events.length);
      }
    }
  };

  const live = async (suffix: string, batches: readonly Envelope[][]): Promise<DataSource> => {
    const ds = await database(suffix);
    await applyAll(runnerOf(ds), batches);
    return ds;
  };

  /** The bulk phase: started and applied with one handler, finished with `finisher` (another handler: another process). */
  const bulk = async (suffix: string, batches: readonly Envelope[][], finisher?: ReturnType<typeof meteringHandler>): Promise<DataSource> => {
    const ds = await database(suffix);
    const handler = meteringHandler();
    const bulkHandler = await runnerOf(ds).inTransaction((tx) => handler.bulkRebuild!.start(tx));
    await applyAll(runnerOf(ds, bulkHandler), batches);
    const ender = finisher ?? handler;
    await runnerOf(ds, ender).inTransaction((tx, beside) => ender.bulkRebuild!.finish(tx, beside));
    return ds;
  };

  const usageOf = (customer: string, eventName: string, days: number[], o: { receivedLate?: boolean } = {}): Envelope[] =>
    days.map((day, i) => {
      const at = new Date(Date.UTC(2026, 4, day, 12, i)).toISOString();
      return revnuUsage(customer, 1 + i, eventName, { occurredAt: at, receivedAt: o.receivedLate ? new Date(Date.UTC(2026, 4, day + 50)).toISOString() : at });
    });

  const batches: Envelope[][] = [
    [product('prod_api', 'metered', 'api_calls', { unitAmount: 2 }), ...usageOf('cus_a', 'api_calls', [2, 9, 17, 28]), ...usageOf('cus_b', 'api_calls', [3, 30])],
    [
      ...usageOf('cus_b', 'api_calls', [12], { receivedLate: true }),
      reveniumMeter('cus_b', 'txn-1', { tokens: 100, seconds: 1.5 }, { occurredAt: '2026-05-05T00:00:00.000Z' }),
      // A subscription that cycles usage already counted: those periods are computed again.
      valuedSubscription('cus_a', 'sub_a', '2026-05-10T06:00:00.000Z', 'week', 2, { occurredAt: '2026-06-01T00:00:00.000Z' }),
    ],
    [
      // The same transactionId again, with another payload key: counts nothing.
      reveniumMeter('cus_b', 'txn-1', { tokens: 999, images: 1 }, { occurredAt: '2026-05-06T00:00:00.000Z' }),
      ...usageOf('cus_a', 'api_calls', [20, 31]),
      // A new price for a meter with usage: everything is rated with it.
      product('prod_api', 'metered', 'api_calls', { unitAmount: 3 }, { occurredAt: '2026-06-02T00:00:00.000Z' }),
    ],
    [
      ...usageOf('cus_c', 'api_calls', [4, 5]),
      // Postgres refuses a NUL in text, here once the readings are claimed and folded (the data source
      // is not in the ledger): the batch is redone event by event, and only this one is dead-lettered.
      reveniumMeter('cus_c', 'txn-nul', { tokens: 5 }, { sourceId: 'src\u0000x', occurredAt: '2026-05-06T00:00:00.000Z' }),
      ...usageOf('cus_c', 'api_calls', [7]),
    ],
  ];

  it('writes every period once, rated with the last price and cycled by the last subscription, identical to live processing', async () => {
    const expected = await live('live', batches);
    const built = await bulk('bulk', batches);
    expect(await schemaChecksums(built, 'metering', METERING_TABLES)).toEqual(await schemaChecksums(expected, 'metering', METERING_TABLES));

    // What they both hold: cus_a on its two-week cycle from May 10 (calendar month before), at the last price.
    const periods = await built.query(
      `SELECT to_char(u.period_start AT TIME ZONE 'UTC', 'MM-DD') AS start, u.event_count::int AS events, c.value::text AS value, c.amount::int AS amount
         FROM metering.usage u JOIN metering.charges c USING (tenant_id, customer_id, meter, period_start)
        WHERE u.tenant_id = $1 AND u.customer_id = 'cus_a' ORDER BY u.period_start`,
      [TENANT],
    );
    expect(periods).toEqual([
      { start: '05-01', events: 2, value: '3', amount: 9 },
      { start: '05-10', events: 2, value: '4', amount: 12 },
      { start: '05-24', events: 2, value: '6', amount: 18 },
    ]);
    expect(await built.query(`SELECT count(*)::int AS n FROM metering.adjustments WHERE customer_id = 'cus_b'`)).toEqual([{ n: 1 }]);
    expect(await built.query(`SELECT reason FROM metering.dead_letters`)).toEqual([{ reason: 'unprocessable' }]);
    expect(await built.query(`SELECT meter, count(*)::int AS n FROM metering.usage_ledger WHERE customer_id = 'cus_c' GROUP BY meter`)).toEqual([{ meter: 'api_calls', n: 3 }]);
    const [key] = await built.query(`SELECT count(*)::int AS n FROM pg_constraint WHERE conrelid = 'metering.usage_ledger'::regclass AND contype = 'p'`);
    expect(key).toEqual({ n: 1 });
  });

  it('ends a bulk phase it did not run (another process did) from the ledger alone, identical to live processing', async () => {
    const expected = await live('live2', batches);
    const built = await bulk('bulk2', batches, meteringHandler());
    expect(await schemaChecksums(built, 'metering', METERING_TABLES)).toEqual(await schemaChecksums(expected, 'metering', METERING_TABLES));
    expect(await built.query(`SELECT count(*)::int AS n FROM metering.usage`)).not.toEqual([{ n: 0 }]);
  });
});
