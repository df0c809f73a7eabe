import type { DataSource } from 'typeorm';
import { createEnvelope, decodeEnvelope, encodeEnvelope, type Envelope } from '@revstream/events';
import { EventPublisher } from '@revstream/kafka';
import { createLogger } from '@revstream/observability';
import { CORE_MIGRATIONS, createSchemaDataSource, runMigrations } from '@revstream/persistence';
import { documentProjectionHandler, ProjectionRunner, projectionTx, type LogRecord, type ProjectionHandler } from '@revstream/projections';
import { isolatedStack, type IsolatedStack } from '@revstream/testing';
import { TallyTables1763700000001, tallyProjection, tallyReadModel } from './testing/tally.projection';

/**
 * The document cache of documentProjectionHandler keeps what an instance last wrote. These specs
 * prove it never serves a stale document: when another instance wrote it since (a rebalance), or
 * when the transaction that wrote it rolled back.
 */
const logger = createLogger('test', 'warn');
const SCHEMA = 'tally';

const usage = (i: number, customer: string, value: number): Envelope<'revnu.usage'> =>
  createEnvelope({
    eventId: `evt-${i}`,
    tenantId: 'tenant-a',
    type: 'revnu.usage',
    receivedAt: '2026-05-29T15:00:00.000Z',
    occurredAt: `2026-05-${String(1 + (i % 5)).padStart(2, '0')}T12:00:00.000Z`,
    customerId: customer,
    idempotencyKey: null,
    producer: 'test',
    body: { productId: 'prod_1', stripeCustomerId: customer, value, eventName: 'api_calls' },
  });
const record = (e: Envelope, offset: number): LogRecord => ({ offset: String(offset), key: encodeEnvelope(e).key, value: encodeEnvelope(e).value });

describe('document cache: a document written elsewhere since, or by a rolled-back transaction, is loaded again (real Postgres)', () => {
  let stack: IsolatedStack;
  let publisher: EventPublisher;
  const dataSources: DataSource[] = [];

  const openSchema = async (): Promise<DataSource> => {
    const ds = createSchemaDataSource({ url: stack.databaseUrl, schema: SCHEMA, migrations: [...CORE_MIGRATIONS, TallyTables1763700000001] });
    await runMigrations(ds, stack.databaseUrl);
    dataSources.push(ds);
    return ds;
  };
  const runner = (ds: DataSource, handler: ProjectionHandler): ProjectionRunner =>
    new ProjectionRunner({ kafka: stack.kafka, dataSource: ds, topics: stack.topics, handler, publisher, logger });
  const tallies = (ds: DataSource): Promise<unknown[]> =>
    ds.query(`SELECT customer_id, total::int, events FROM tally.tallies ORDER BY customer_id`);
  const daily = (ds: DataSource): Promise<unknown[]> => ds.query(`SELECT day::text, total::int FROM tally.tally_daily ORDER BY day`);

  beforeAll(async () => {
    stack = await isolatedStack('doccache', { partitions: 2 });
    publisher = new EventPublisher(stack.kafka, stack.topics, { publishTimeoutMs: 10_000, maxRecordsPerRequest: 1_000, compression: 'none' });
  });
  afterAll(async () => {
    await Promise.all(dataSources.map((d) => d.destroy()));
    await publisher.disconnect();
    await stack.cleanup();
  });

  it('two instances taking turns on the same documents (two partitions, a rebalance) count every event once', async () => {
    const ds = await openSchema();
    const a = runner(ds, documentProjectionHandler(tallyProjection, tallyReadModel, { cacheSize: 100 }));
    const b = runner(ds, documentProjectionHandler(tallyProjection, tallyReadModel, { cacheSize: 100 }));
    const topic = stack.topics.raw('revnu');
    const customers = ['cus_1', 'cus_2', 'cus_3'];
    let id = 0;
    const expected = new Map<string, { total: number; events: number }>();
    const offsets = [0, 0];
    for (let turn = 0; turn < 8; turn++) {
      const partition = turn % 2;
      const events = customers.flatMap((c, i) => [usage(id++, c, 10 * (turn + 1) + i), usage(id++, c, 2)]);
      for (const e of events) {
        const t = expected.get(e.customerId!) ?? { total: 0, events: 0 };
        expected.set(e.customerId!, { total: t.total + (e.body as { value: number }).value, events: t.events + 1 });
      }
      const records = events.map((e) => record(e, offsets[partition]!++));
      // Instance a holds partition 0 and b partition 1: each writes every customer's document in turn.
      await (partition === 0 ? a : b).applyRecords(topic, partition, records);
    }
    expect(await tallies(ds)).toEqual(customers.map((c) => ({ customer_id: c, ...expected.get(c)! })));
    const [{ total }] = (await ds.query(`SELECT sum(total)::int AS total FROM tally.tally_daily`)) as Array<{ total: number }>;
    expect(total).toBe([...expected.values()].reduce((s, t) => s + t.total, 0));
  });

  it('a batch whose transaction rolled back after the handler wrote leaves nothing behind, in Postgres or in the cache', async () => {
    const ds = await openSchema();
    await ds.query(`TRUNCATE tally.tallies, tally.tally_daily, tally.documents, tally.processed_keys, tally.checkpoints`);
    const handler = documentProjectionHandler(tallyProjection, tallyReadModel, { cacheSize: 100 });
    const r = runner(ds, handler);
    const topic = stack.topics.raw('revnu');
    await r.applyRecords(topic, 0, [record(usage(100, 'cus_1', 5), 0)]);

    // The handler applies an event and writes its document, then the transaction rolls back (a crash, a lost connection).
    const queryRunner = ds.createQueryRunner();
    await queryRunner.connect();
    await queryRunner.startTransaction();
    const lost = decodeEnvelope(encodeEnvelope(usage(101, 'cus_1', 1000)).value, { topic, partition: 0, offset: '1' });
    await handler.apply([lost], projectionTx(queryRunner, `"${SCHEMA}"`));
    await queryRunner.rollbackTransaction();
    await queryRunner.release();

    await r.applyRecords(topic, 0, [record(usage(102, 'cus_1', 7), 1)]);
    expect(await tallies(ds)).toEqual([{ customer_id: 'cus_1', total: 12, events: 2 }]);
    expect(await daily(ds)).toEqual([
      { day: '2026-05-01', total: 5 },
      { day: '2026-05-03', total: 7 },
    ]);
    // The rolled-back event was never applied: it applies when it comes again.
    await r.applyRecords(topic, 0, [record(usage(101, 'cus_1', 1000), 2)]);
    expect(await tallies(ds)).toEqual([{ customer_id: 'cus_1', total: 1012, events: 3 }]);
  });
});
