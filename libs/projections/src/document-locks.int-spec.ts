import type { DataSource } from 'typeorm';
import { createEnvelope, encodeEnvelope, type Envelope } from '@revstream/events';
import { EventPublisher } from '@revstream/kafka';
import { createLogger } from '@revstream/observability';
import { CORE_MIGRATIONS, createSchemaDataSource, runMigrations } from '@revstream/persistence';
import { documentProjectionHandler, ProjectionRunner, type LogRecord } from '@revstream/projections';
import { isolatedStack, type IsolatedStack } from '@revstream/testing';
import { TallyTables1763700000001, tallyProjection, tallyReadModel } from './testing/tally.projection';

/**
 * documentProjectionHandler locks the documents a batch touches with row locks (placeholder rows for
 * new ones), not an advisory lock per document: those took a slot each in Postgres's shared lock table
 * (max_locks_per_transaction × max_connections, 6,400 on a default server), so a few concurrent
 * batches of thousands of documents failed with "out of shared memory".
 */
const logger = createLogger('test', 'warn');

let seq = 0;
const usage = (customer: string, value: number): Envelope<'revnu.usage'> =>
  createEnvelope({
    eventId: `lk-${seq++}`,
    tenantId: 'tenant-a',
    type: 'revnu.usage',
    receivedAt: '2026-05-29T15:00:00.000Z',
    occurredAt: '2026-05-02T12:00:00.000Z',
    customerId: customer,
    idempotencyKey: null,
    producer: 'test',
    body: { productId: 'prod_1', stripeCustomerId: customer, value, eventName: 'api_calls' },
  });
const records = (events: readonly Envelope[], from: number): LogRecord[] =>
  events.map((e, i) => ({ offset: String(from + i), key: encodeEnvelope(e).key, value: encodeEnvelope(e).value }));

describe('document locks: row locks, whatever the number of documents a batch touches (real Postgres)', () => {
  let stack: IsolatedStack;
  let publisher: EventPublisher;
  let ds: DataSource;
  const runner = (): ProjectionRunner =>
    new ProjectionRunner({ kafka: stack.kafka, dataSource: ds, topics: stack.topics, handler: documentProjectionHandler(tallyProjection, tallyReadModel), publisher, logger });

  beforeAll(async () => {
    stack = await isolatedStack('doclocks', { partitions: 3 });
    publisher = new EventPublisher(stack.kafka, stack.topics, { publishTimeoutMs: 10_000, maxRecordsPerRequest: 1_000, compression: 'none' });
    ds = createSchemaDataSource({ url: stack.databaseUrl, schema: 'tally', migrations: [...CORE_MIGRATIONS, TallyTables1763700000001], poolSize: 6 });
    await runMigrations(ds, stack.databaseUrl);
  });
  afterAll(async () => {
    await ds.destroy();
    await publisher.disconnect();
    await stack.cleanup();
  });
  beforeEach(async () => {
    await ds.query(`TRUNCATE tally.tallies, tally.tally_daily, tally.documents, tally.processed_keys, tally.checkpoints, tally.dead_letters`);
  });

  it('three concurrent batches of 12,000 new documents each commit (36,000 documents, far more than the lock table holds)', async () => {
    const topic = stack.topics.raw('revnu');
    const r = runner();
    await Promise.all(
      [0, 1, 2].map((partition) => r.applyRecords(topic, partition, records(Array.from({ length: 12_000 }, (_, i) => usage(`cus_${partition}_${i}`, 1)), 0))),
    );
    const [{ tallies, documents, total }] = (await ds.query(
      `SELECT (SELECT count(*)::int FROM tally.tallies) AS tallies, (SELECT count(*)::int FROM tally.documents) AS documents, (SELECT sum(total)::int FROM tally.tally_daily) AS total`,
    )) as Array<{ tallies: number; documents: number; total: number }>;
    expect({ tallies, documents, total }).toEqual({ tallies: 36_000, documents: 36_000, total: 36_000 });
  });

  it('two instances applying the same documents at the same moment count every event once', async () => {
    const topic = stack.topics.raw('revnu');
    const [a, b] = [runner(), runner()];
    const customers = Array.from({ length: 300 }, (_, i) => `cus_${i}`);
    const offsets = [0, 0];
    for (let round = 0; round < 5; round++) {
      await Promise.all(
        [a, b].map((r, partition) => {
          const batch = records(customers.map((c) => usage(c, partition + 1)), offsets[partition]!);
          offsets[partition]! += batch.length;
          return r.applyRecords(topic, partition, batch);
        }),
      );
    }
    const rows = (await ds.query(`SELECT DISTINCT total::int, events FROM tally.tallies`)) as Array<{ total: number; events: number }>;
    expect(rows).toEqual([{ total: 5 * (1 + 2), events: 10 }]);
    expect((await ds.query(`SELECT count(*)::int AS n FROM tally.tallies`)) as unknown).toEqual([{ n: 300 }]);
  });

  it('a new document whose only event is rejected leaves no document row behind, and its event is dead-lettered', async () => {
    const topic = stack.topics.raw('revnu');
    await runner().applyRecords(topic, 0, records([usage('cus_ok', 4), usage('cus_bad', 13)], 0));
    expect((await ds.query(`SELECT key FROM tally.documents ORDER BY key`)) as unknown).toEqual([{ key: 'tenant-a|cus_ok' }]);
    expect((await ds.query(`SELECT reason FROM tally.dead_letters`)) as unknown).toEqual([{ reason: 'invalid_body' }]);
  });
});
