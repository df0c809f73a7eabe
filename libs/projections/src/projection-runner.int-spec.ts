import type { DataSource } from 'typeorm';
import { createEnvelope, encodeEnvelope, type Envelope } from '@revstream/events';
import { EventPublisher } from '@revstream/kafka';
import { createLogger } from '@revstream/observability';
import { CORE_MIGRATIONS, createSchemaDataSource, runMigrations, schemaChecksums } from '@revstream/persistence';
import { documentProjectionHandler, ProjectionRunner, type LogRecord } from '@revstream/projections';
import { eventually, isolatedStack, readTopic, type IsolatedStack } from '@revstream/testing';
import { TallyTables1763700000001, tallyProjection, tallyReadModel } from './testing/tally.projection';

const logger = createLogger('test', 'warn');
const SCHEMA = 'tally';
const TABLES = ['tallies', 'tally_daily'];

const usage = (
  i: number,
  customer: string,
  value: number,
  extra: Partial<Pick<Envelope, 'idempotencyKey' | 'occurredAt'>> = {},
): Envelope<'revnu.usage'> =>
  createEnvelope({
    eventId: `evt-${i}`,
    tenantId: 'tenant-a',
    type: 'revnu.usage',
    receivedAt: '2026-05-29T15:00:00.000Z',
    occurredAt: extra.occurredAt ?? `2026-05-${String(1 + (i % 28)).padStart(2, '0')}T12:00:00.000Z`,
    customerId: customer,
    idempotencyKey: extra.idempotencyKey ?? null,
    producer: 'test',
    body: { productId: 'prod_1', stripeCustomerId: customer, value, eventName: 'api_calls' },
  });

const asRecords = (envelopes: Envelope[], firstOffset = 0): LogRecord[] =>
  envelopes.map((e, i) => ({ offset: String(firstOffset + i), key: encodeEnvelope(e).key, value: encodeEnvelope(e).value }));

describe('projection runner: exactly-once effect, dedup, dead letters, scale-out (real Kafka + Postgres)', () => {
  let stack: IsolatedStack;
  let publisher: EventPublisher;
  const dataSources: DataSource[] = [];

  const openSchema = async (url = stack.databaseUrl): Promise<DataSource> => {
    const ds = createSchemaDataSource({ url, schema: SCHEMA, migrations: [...CORE_MIGRATIONS, TallyTables1763700000001] });
    await runMigrations(ds, url);
    dataSources.push(ds);
    return ds;
  };
  const runner = (ds: DataSource): ProjectionRunner =>
    new ProjectionRunner({
      kafka: stack.kafka,
      dataSource: ds,
      topics: stack.topics,
      handler: documentProjectionHandler(tallyProjection, tallyReadModel),
      publisher,
      logger,
      maxRecordsPerTransaction: 7, // small, so batches split mid-stream
    });

  beforeAll(async () => {
    stack = await isolatedStack('runner', { partitions: 4 });
    publisher = new EventPublisher(stack.kafka, stack.topics, { publishTimeoutMs: 10_000, maxRecordsPerRequest: 1_000, compression: 'none' });
  });
  afterAll(async () => {
    await Promise.all(dataSources.map((d) => d.destroy()));
    await publisher.disconnect();
    await stack.cleanup();
  });

  it('applies a batch once: the same records delivered again change nothing', async () => {
    const ds = await openSchema();
    const r = runner(ds);
    const topic = stack.topics.raw('revnu');
    const records = asRecords([usage(1, 'cus_1', 5), usage(2, 'cus_1', 7), usage(3, 'cus_2', 11)]);

    expect(await r.applyRecords(topic, 0, records)).toBe(3);
    const first = await schemaChecksums(ds, SCHEMA, TABLES);
    expect(await ds.query(`SELECT customer_id, total::int, events FROM tally.tallies ORDER BY customer_id`)).toEqual([
      { customer_id: 'cus_1', total: 12, events: 2 },
      { customer_id: 'cus_2', total: 11, events: 1 },
    ]);

    // Redelivery after a crash or a rebalance: every record is at or below the checkpoint.
    expect(await r.applyRecords(topic, 0, records)).toBe(0);
    expect(await schemaChecksums(ds, SCHEMA, TABLES)).toEqual(first);
    expect(await ds.query(`SELECT "offset" FROM tally.checkpoints WHERE consumer = 'tally' AND partition = 0`)).toEqual([{ offset: '2' }]);
  });

  it('treats a repeated idempotency key at a later offset, or a repeated event id, as a no-op', async () => {
    const ds = dataSources[0]!;
    const r = runner(ds);
    const topic = stack.topics.raw('revnu');
    const repeat = usage(9, 'cus_3', 100, { idempotencyKey: 'txn-1' });
    const records = asRecords([repeat, { ...repeat, eventId: 'evt-10' }, usage(3, 'cus_2', 11)], 3);
    expect(await r.applyRecords(topic, 0, records)).toBe(3);
    expect(await ds.query(`SELECT customer_id, total::int, events FROM tally.tallies ORDER BY customer_id`)).toEqual([
      { customer_id: 'cus_1', total: 12, events: 2 },
      { customer_id: 'cus_2', total: 11, events: 1 },
      { customer_id: 'cus_3', total: 100, events: 1 },
    ]);
  });

  it('dead-letters poison records with their reason (table and topic) and keeps the partition moving', async () => {
    const ds = dataSources[0]!;
    const r = runner(ds);
    const topic = stack.topics.raw('revnu');
    const good = usage(20, 'cus_4', 1);
    const unknownVersion = { ...encodeEnvelope(good), value: JSON.stringify({ ...good, eventId: 'evt-21', schemaVersion: 99 }) };
    const records: LogRecord[] = [
      { offset: '10', key: 'x', value: 'this is not json' },
      { offset: '11', key: unknownVersion.key, value: unknownVersion.value },
      { offset: '12', key: 'x', value: JSON.stringify({ type: 'revnu.usage', source: 'revnu', schemaVersion: 1, body: {} }) },
      ...asRecords([usage(22, 'cus_4', 13)], 13),
      ...asRecords([good], 14),
    ];
    expect(await r.applyRecords(topic, 1, records)).toBe(5);

    const letters = await ds.query(`SELECT "offset", reason, event_id FROM tally.dead_letters WHERE partition = 1 ORDER BY "offset"`);
    expect(letters).toEqual([
      { offset: '10', reason: 'invalid_json', event_id: null },
      { offset: '11', reason: 'unknown_schema_version', event_id: 'evt-21' },
      { offset: '12', reason: 'invalid_envelope', event_id: null },
      { offset: '13', reason: 'invalid_body', event_id: 'evt-22' },
    ]);
    expect(await ds.query(`SELECT total::int FROM tally.tallies WHERE customer_id = 'cus_4'`)).toEqual([{ total: 1 }]);
    expect(await ds.query(`SELECT "offset" FROM tally.checkpoints WHERE consumer = 'tally' AND partition = 1`)).toEqual([{ offset: '14' }]);

    const dlq = await readTopic(stack.kafka, stack.topics.name('dead-letter'), 4);
    expect(dlq.map((m) => JSON.parse(m.value!).reason).sort()).toEqual(['invalid_body', 'invalid_envelope', 'invalid_json', 'unknown_schema_version']);
    expect(JSON.parse(dlq.find((m) => m.value!.includes('invalid_json'))!.value!).payload).toBe('this is not json');
  });

  it('decodes as a streaming handler reads (applyStream): the same dead letters, rejects and checkpoint', async () => {
    const ds = dataSources[0]!;
    const tally = documentProjectionHandler(tallyProjection, tallyReadModel);
    const seen: string[] = [];
    const streaming = new ProjectionRunner({
      kafka: stack.kafka, dataSource: ds, topics: stack.topics, publisher, logger,
      handler: { ...tally, applyStream: (events, tx) => tally.apply([...events].map((e) => (seen.push(e.metadata.position!.offset), e)), tx) },
    });
    const topic = stack.topics.raw('revnu');
    const records: LogRecord[] = [
      ...asRecords([usage(30, 'cus_5', 2)], 0),
      { offset: '1', key: 'x', value: 'this is not json' },
      ...asRecords([usage(31, 'cus_5', 13)], 2), // 13: the tally rejects it (invalid_body)
      ...asRecords([usage(32, 'cus_5', 3)], 3),
    ];
    expect(await streaming.applyRecords(topic, 2, records)).toBe(4);
    expect(seen).toEqual(['0', '2', '3']);
    expect(await ds.query(`SELECT "offset", reason, event_id FROM tally.dead_letters WHERE partition = 2 ORDER BY "offset"`)).toEqual([
      { offset: '1', reason: 'invalid_json', event_id: null },
      { offset: '2', reason: 'invalid_body', event_id: 'evt-31' },
    ]);
    expect(await ds.query(`SELECT total::int FROM tally.tallies WHERE customer_id = 'cus_5'`)).toEqual([{ total: 5 }]);
    expect(await ds.query(`SELECT "offset" FROM tally.checkpoints WHERE consumer = 'tally' AND partition = 2`)).toEqual([{ offset: '3' }]);
  });

  it('refuses a streaming handler that returns before reading every event, and commits nothing of the batch', async () => {
    const ds = dataSources[0]!;
    const tally = documentProjectionHandler(tallyProjection, tallyReadModel);
    const firstOnly = new ProjectionRunner({
      kafka: stack.kafka, dataSource: ds, topics: stack.topics, publisher, logger,
      handler: {
        ...tally,
        applyStream: (events, tx) => {
          for (const e of events) return tally.apply([e], tx);
          return tally.apply([], tx);
        },
      },
    });
    const topic = stack.topics.raw('revnu');
    await expect(firstOnly.applyRecords(topic, 3, asRecords([usage(40, 'cus_6', 1), usage(41, 'cus_6', 2)]))).rejects.toThrow('applyStream returned before reading every event');
    expect(await ds.query(`SELECT total::int FROM tally.tallies WHERE customer_id = 'cus_6'`)).toEqual([]);
    expect(await ds.query(`SELECT "offset" FROM tally.checkpoints WHERE consumer = 'tally' AND partition = 3 AND "offset" >= 0`)).toEqual([]);
  });

  it('runs what a handler registers for the commit only once committed: never for a batch that rolled back, nor for an event whose savepoint did', async () => {
    const ds = dataSources[0]!;
    const tally = documentProjectionHandler(tallyProjection, tallyReadModel);
    const committed: string[] = [];
    const undone: string[] = [];
    const r = new ProjectionRunner({
      kafka: stack.kafka, dataSource: ds, topics: stack.topics, publisher, logger,
      handler: {
        ...tally,
        apply: async (events, tx) => {
          for (const e of events) {
            const offset = e.metadata.position!.offset;
            tx.onCommit(() => committed.push(offset));
            tx.onRollback(() => undone.push(offset));
            // A data error (division by zero, SQLSTATE 22012): the batch is redone one event at a time.
            if ((e.data as { value: number }).value === 99) await tx.query('SELECT 1 / 0');
          }
          return tally.apply(events, tx);
        },
      },
    });
    const topic = stack.topics.raw('revnu');
    expect(await r.applyRecords(topic, 3, asRecords([usage(50, 'cus_8', 1), usage(51, 'cus_8', 99), usage(52, 'cus_8', 2)]))).toBe(3);
    // Nothing ran before the commit, and then only for the two events that were committed, in order.
    expect(committed).toEqual(['0', '2']);
    // Undone, latest first: the whole batch's registrations up to the error, then the culprit's in its savepoint.
    expect(undone).toEqual(['1', '0', '1']);
    expect(await ds.query(`SELECT total::int FROM tally.tallies WHERE customer_id = 'cus_8'`)).toEqual([{ total: 3 }]);
    expect(await ds.query(`SELECT "offset", reason FROM tally.dead_letters WHERE partition = 3`)).toEqual([{ offset: '1', reason: 'unprocessable' }]);
  });

  it('runs a second transaction beside the first, at the same time: it commits just before it, and neither commits when either fails', async () => {
    const ds = dataSources[0]!;
    await ds.query('CREATE TABLE IF NOT EXISTS tally.beside_probe (k text NOT NULL)');
    const r = runner(ds);
    const order: string[] = [];
    let sideStarted = false;
    await r.inTransaction(async (tx, beside) => {
      await tx.query(`INSERT INTO tally.beside_probe VALUES ('main')`);
      tx.onCommit(() => order.push('main'));
      beside(async (side) => {
        sideStarted = true;
        // Its own connection: the main transaction's uncommitted row is not visible here.
        expect(await side.query(`SELECT k FROM tally.beside_probe`)).toEqual([]);
        await side.query(`INSERT INTO tally.beside_probe VALUES ('side')`);
        side.onCommit(() => order.push('side'));
      });
      expect(() => beside(async () => undefined)).toThrow('one transaction beside at most');
    });
    expect(sideStarted).toBe(true);
    expect(order).toEqual(['side', 'main']);
    expect(await ds.query(`SELECT k FROM tally.beside_probe ORDER BY k`)).toEqual([{ k: 'main' }, { k: 'side' }]);

    // The transaction beside fails: nothing of either is committed.
    await ds.query('TRUNCATE tally.beside_probe');
    await expect(
      r.inTransaction(async (tx, beside) => {
        await tx.query(`INSERT INTO tally.beside_probe VALUES ('main')`);
        beside(async (side) => {
          await side.query(`INSERT INTO tally.beside_probe VALUES ('side')`);
          await side.query('SELECT 1 / 0');
        });
      }),
    ).rejects.toThrow(/division by zero/);
    // The first one fails after starting the other: nothing of either is committed.
    await expect(
      r.inTransaction(async (tx, beside) => {
        beside(async (side) => {
          await side.query(`INSERT INTO tally.beside_probe VALUES ('side')`);
        });
        await tx.query(`INSERT INTO tally.beside_probe VALUES ('main')`);
        await tx.query('SELECT 1 / 0');
      }),
    ).rejects.toThrow(/division by zero/);
    expect(await ds.query(`SELECT k FROM tally.beside_probe`)).toEqual([]);
  });

  it('consumes from Kafka, and two instances in one group build exactly what one instance builds', async () => {
    const { ensureDatabase, dropDatabase } = await import('@revstream/persistence');
    const base = new URL(stack.databaseUrl);
    base.pathname = `${base.pathname}_single`;
    await ensureDatabase(base.toString());
    const single = await openSchema(base.toString());
    const one = runner(single);

    const sharedUrl = new URL(stack.databaseUrl);
    sharedUrl.pathname = `${sharedUrl.pathname}_pair`;
    await ensureDatabase(sharedUrl.toString());
    const pairA = await openSchema(sharedUrl.toString());
    const pairB = await openSchema(sharedUrl.toString());
    const a = runner(pairA);
    const b = runner(pairB);
    await Promise.all([one.start(), a.start(), b.start()]);
    const revnu = stack.topics.raw('revnu');
    // Both members hold partitions before any event is published, so both must do part of the work.
    const held = await eventually(
      async () => [a.assignment[revnu]?.length ?? 0, b.assignment[revnu]?.length ?? 0],
      ([x, y]) => x! > 0 && y! > 0 && x! + y! === 4,
    );
    expect(held[0]! + held[1]!).toBe(4);

    // Every 50th event repeats an idempotency key of the same customer (a client retry): only the first counts.
    const envelopes = Array.from({ length: 400 }, (_, i) =>
      i % 50 === 0
        ? usage(1000 + i, `cus_retry_${i % 100}`, 1 + (i % 9), { idempotencyKey: `dup-${i % 100}` })
        : usage(1000 + i, `cus_${i % 37}`, 1 + (i % 9)),
    );
    // Duplicates in the stream: the same event id twice, and idempotency keys repeated.
    await publisher.publish([...envelopes, ...envelopes.slice(0, 25)]);
    const expectedTotal = envelopes
      .filter((e, i) => !(i % 50 === 0 && envelopes.findIndex((x) => x.idempotencyKey === e.idempotencyKey) !== i))
      .reduce((s, e) => s + e.body.value, 0);

    const settled = async (ds: DataSource): Promise<number> => {
      const [row] = await ds.query(`SELECT coalesce(sum(total), 0)::int AS total FROM tally.tallies`);
      return row.total as number;
    };

    try {
      expect(await eventually(() => settled(single), (t) => t === expectedTotal)).toBe(expectedTotal);
      expect(await eventually(() => settled(pairA), (t) => t === expectedTotal)).toBe(expectedTotal);
      expect(await schemaChecksums(pairA, SCHEMA, TABLES)).toEqual(await schemaChecksums(single, SCHEMA, TABLES));
      const partitionsByInstance = await pairA.query(`SELECT count(DISTINCT partition)::int AS n FROM tally.checkpoints WHERE consumer = 'tally'`);
      expect(partitionsByInstance[0].n).toBe(4);
      expect(a.appliedCount).toBeGreaterThan(0);
      expect(b.appliedCount).toBeGreaterThan(0);
      expect(a.appliedCount + b.appliedCount).toBe(one.appliedCount);
    } finally {
      await Promise.all([one.stop(), a.stop(), b.stop()]);
      await Promise.all([single, pairA, pairB].map((d) => d.destroy()));
      dataSources.splice(dataSources.indexOf(single), 1);
      dataSources.splice(dataSources.indexOf(pairA), 1);
      dataSources.splice(dataSources.indexOf(pairB), 1);
      await dropDatabase(base.toString());
      await dropDatabase(sharedUrl.toString());
    }
  });
});
