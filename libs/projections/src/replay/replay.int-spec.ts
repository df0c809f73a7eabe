import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DataSource } from 'typeorm';
import { ConsumerConfig, loadConfig } from '@revstream/config';
import { createEnvelope, type Envelope } from '@revstream/events';
import { EventPublisher } from '@revstream/kafka';
import { createLogger } from '@revstream/observability';
import { CORE_MIGRATIONS, createSchemaDataSource, runMigrations, schemaChecksums } from '@revstream/persistence';
import {
  documentProjectionHandler,
  ProjectionAppModule,
  type ProjectionAppDefinition,
  ProjectionRunner,
  ReplayRefusedError,
  replayProjectionApp,
  startProjectionApp,
} from '@revstream/projections';
import { eventually, isolatedStack, type IsolatedStack } from '@revstream/testing';
import { TallyTables1763700000001, tallyProjection, tallyReadModel } from '../testing/tally.projection';

const logger = createLogger('test', 'warn');
const tallyApp = (version = 1): ProjectionAppDefinition => ({
  name: 'tally',
  schema: 'tally',
  migrations: [...CORE_MIGRATIONS, TallyTables1763700000001],
  handlers: [documentProjectionHandler({ ...tallyProjection, version }, tallyReadModel)],
});

let n = 0;
const usage = (customer: string, value: number, occurredAt: string, extra: Partial<Envelope> = {}): Envelope<'revnu.usage'> =>
  createEnvelope({
    eventId: `evt-${n++}`,
    tenantId: 'tenant-a',
    type: 'revnu.usage',
    receivedAt: '2026-06-01T00:00:00.000Z',
    occurredAt,
    customerId: customer,
    idempotencyKey: (extra.idempotencyKey as string | undefined) ?? null,
    producer: 'test',
    body: { productId: 'p', stripeCustomerId: customer, value, eventName: 'api_calls' },
  });

/** Duplicates, out-of-order and late events, repeated idempotency keys, and one poison record. */
function mixedStream(count: number): Envelope[] {
  const out: Envelope[] = [];
  for (let i = 0; i < count; i++) {
    const day = 1 + ((i * 7) % 28); // out of order
    out.push(usage(`cus_${i % 13}`, 1 + (i % 5), `2026-05-${String(day).padStart(2, '0')}T10:00:00.000Z`));
    if (i % 17 === 0) out.push(out[out.length - 1]!); // the same event twice
    if (i % 23 === 0) out.push(usage(`cus_${i % 13}`, 7, '2026-04-02T10:00:00.000Z', { idempotencyKey: `txn-${i % 13}` })); // late + repeated keys
  }
  return out;
}

describe('replay: rebuild a projection from the topics with no downtime', () => {
  let stack: IsolatedStack;
  let publisher: EventPublisher;
  let liveDs: DataSource;
  let live: ProjectionRunner;
  const total = async (ds: DataSource): Promise<number> => (await ds.query(`SELECT coalesce(sum(total), 0)::int AS t FROM tally.tallies`))[0].t;
  const caughtUp = async (expected: number): Promise<void> => {
    expect(await eventually(() => total(liveDs), (t) => t === expected)).toBe(expected);
  };
  const expectedTotal = (events: Envelope[]): number => {
    const seen = new Set<string>();
    let sum = 0;
    for (const e of events) {
      const key = e.idempotencyKey ? `idem:${e.idempotencyKey}` : `event:${e.eventId}`;
      if (seen.has(key)) continue;
      seen.add(key);
      sum += (e.body as { value: number }).value;
    }
    return sum;
  };
  const stream: Envelope[] = [];

  beforeAll(async () => {
    stack = await isolatedStack('replay', { partitions: 3 });
    publisher = new EventPublisher(stack.kafka, stack.topics, { publishTimeoutMs: 10_000, maxRecordsPerRequest: 1_000, compression: 'none' });
    liveDs = createSchemaDataSource({ url: stack.databaseUrl, schema: 'tally', migrations: tallyApp().migrations });
    await runMigrations(liveDs, stack.databaseUrl);
    live = new ProjectionRunner({ kafka: stack.kafka, dataSource: liveDs, topics: stack.topics, handler: tallyApp().handlers[0]!, publisher, logger });
    await live.start();
    stream.push(...mixedStream(600));
    await publisher.publish(stream);
    await publisher.publishRecords([{ topic: stack.topics.raw('revnu'), message: { key: 'tenant-a:cus_1', value: 'not an envelope' } }]);
    await caughtUp(expectedTotal(stream));
  });
  afterAll(async () => {
    await live.stop();
    if (liveDs.isInitialized) await liveDs.destroy();
    await publisher.disconnect();
    await stack.cleanup();
  });

  it('resumes a rebuild that was stopped halfway, and ends byte-identical to live processing', async () => {
    const abort = new AbortController();
    const first = replayProjectionApp({
      app: tallyApp(), databaseUrl: stack.databaseUrl, kafka: stack.kafka, topics: stack.topics, publisher, logger, swap: false,
      signal: abort.signal,
      onProgress: (p) => {
        if (p.done >= 50) abort.abort(new Error('killed halfway'));
      },
    });
    await expect(first).rejects.toThrow('killed halfway');
    const partial = await liveDs.query(`SELECT sum("offset" + 1)::int AS n FROM tally__rebuild.checkpoints`);
    expect(partial[0].n).toBeGreaterThan(0);

    const result = await replayProjectionApp({ app: tallyApp(), databaseUrl: stack.databaseUrl, kafka: stack.kafka, topics: stack.topics, publisher, logger, verify: true, swap: false });
    expect(result.resumed).toBe(true);
    expect(result.differences).toEqual([]);
    expect(result.compared.map((c) => c.table)).toEqual(['checkpoints', 'dead_letters', 'documents', 'processed_keys', 'tallies', 'tally_daily']);
    expect(result.compared.find((c) => c.table === 'dead_letters')!.rows).toBe(1);
    expect(result.swapped).toBe(false);
  });

  it('swaps the rebuilt schema in atomically while the live read model keeps answering, and live processing continues on it', async () => {
    const before = await schemaChecksums(liveDs, 'tally', ['tallies', 'tally_daily', 'documents']);
    const generation = await liveDs.query(`SELECT projection, version, generation FROM tally.projection_meta`);
    let reads = 0;
    let failures = 0;
    let empty = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        try {
          if ((await total(liveDs)) === 0) empty++;
          reads++;
        } catch {
          failures++;
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const result = await replayProjectionApp({ app: tallyApp(), databaseUrl: stack.databaseUrl, kafka: stack.kafka, topics: stack.topics, publisher, logger, verify: true });
    polling = false;
    await poller;

    expect(result.differences).toEqual([]);
    expect(result.swapped).toBe(true);
    expect(reads).toBeGreaterThan(0);
    expect(failures).toBe(0);
    expect(empty).toBe(0);
    expect(await schemaChecksums(liveDs, 'tally', ['tallies', 'tally_daily', 'documents'])).toEqual(before);
    const schemas = await liveDs.query(`SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'tally%' ORDER BY 1`);
    expect(schemas).toEqual([{ schema_name: 'tally' }]); // the old one is dropped, the rebuild is live
    // The rebuild took over the live schema's consumer generation: the live consumer stays in its group.
    expect(await liveDs.query(`SELECT projection, version, generation FROM tally.projection_meta`)).toEqual(generation);

    // The live consumer carries on, on the swapped-in schema, from its checkpoints: nothing lost, nothing twice.
    const more = mixedStream(120);
    stream.push(...more);
    await publisher.publish(more);
    await caughtUp(expectedTotal(stream));
  });

  it('rebuilds into new tables when the projection version is bumped, and the app then projects live', async () => {
    let app: NestFastifyApplication | undefined;
    await live.stop();
    try {
      const config = loadConfig(ConsumerConfig, stack.env);
      app = await startProjectionApp(ProjectionAppModule.forRoot({ ...tallyApp(2), config }), 0, '127.0.0.1');
      expect(await liveDs.query(`SELECT projection, version FROM tally.projection_meta`)).toEqual([{ projection: 'tally', version: 2 }]);
      expect(await total(liveDs)).toBe(expectedTotal(stream));
      // The new version's consumer group starts at the rebuild's checkpoints, not at the beginning of the log.
      const [{ generation }] = await liveDs.query(`SELECT generation FROM tally.projection_meta`);
      const admin = stack.kafka.admin();
      await admin.connect();
      const [group] = await admin.fetchOffsets({ groupId: `${stack.topicPrefix}.tally.v2.${generation}`, topics: [stack.topics.raw('revnu')] });
      await admin.disconnect();
      const checkpoints = (await liveDs.query(`SELECT partition, ("offset" + 1)::text AS offset FROM tally.checkpoints ORDER BY partition`)) as Array<{ partition: number; offset: string }>;
      expect([...group!.partitions].sort((a, b) => a.partition - b.partition).map(({ partition, offset }) => ({ partition, offset }))).toEqual(checkpoints);
      const more = mixedStream(40);
      stream.push(...more);
      await publisher.publish(more);
      await caughtUp(expectedTotal(stream));
    } finally {
      await app?.close();
    }
  });

  it('refuses a topic whose retention could have dropped records', async () => {
    const admin = stack.kafka.admin();
    await admin.connect();
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: 2, name: stack.topics.raw('revnu'), configEntries: [{ name: 'retention.ms', value: '604800000' }] }],
    });
    await admin.disconnect();
    // The broker applies a config change asynchronously: wait until it reports it.
    const { describeRetention } = await import('@revstream/kafka');
    const retention = await eventually(
      () => describeRetention(stack.kafka, [stack.topics.raw('revnu')]),
      ([r]) => r!.retentionMs === '604800000',
    );
    expect(retention[0]!.retentionMs).toBe('604800000');
    await expect(replayProjectionApp({ app: tallyApp(2), databaseUrl: stack.databaseUrl, kafka: stack.kafka, topics: stack.topics, publisher, logger })).rejects.toThrow(
      new ReplayRefusedError(`refusing to rebuild tally: ${stack.topics.raw('revnu')} has retention.ms=604800000: records older than that are deleted, so a rebuild would be incomplete`),
    );
  });
});
