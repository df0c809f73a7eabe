import type { Message } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { encodeEnvelope, type Envelope, EVENT_TYPES, type Topics } from '@revstream/events';
import { EventPublisher, type EventPublisherOptions } from '@revstream/kafka';
import { createLogger } from '@revstream/observability';
import { createSchemaDataSource, runMigrations } from '@revstream/persistence';
import { eachPartition, lastOffsets, type ProjectionAppDefinition, ProjectionRunner, replayProjectionApp, type ReplayResult, rebuildOrder, topicsOf } from '@revstream/projections';
import { eventually, isolatedStack, type IsolatedStack } from '@revstream/testing';
import { prng } from '../../apps/billing/src/testing/billing-workload';

/**
 * The determinism proof every projection app goes through (issue 7): a realistic mixed stream is
 * projected live, by instances that join and leave the consumer group while it arrives (rebalances,
 * small transactions), then `replayProjectionApp` rebuilds the app from the topics in large batches
 * and compares every table at one log position (`verify`).
 */

export const logger = createLogger('replay-determinism', 'error');

export { prng };

/** A record as it goes on a topic: an envelope, or a raw record (poison, a foreign producer). */
export type LogEntry = { envelope: Envelope } | { raw: { topic: string; key: string; value: string } };

export interface MixOptions {
  seed: number;
  /** Events are shuffled within windows of this many (out-of-order event times across customers). */
  window?: number;
  /** Share of events delivered a second time, identical, a little later (producer retries, redeliveries). */
  duplicates?: number;
  /** Share of events held back and delivered after everything else (late events). */
  late?: number;
}

/**
 * What a real log holds, from a stream in event-time order: out of order within windows, some events
 * delivered twice, some held back until the end. Each customer's events keep no particular order
 * (the projections must not depend on it), and the result depends only on the seed.
 */
export function mixed(events: readonly Envelope[], options: MixOptions): Envelope[] {
  const rand = prng(options.seed);
  const window = options.window ?? 25;
  const shuffled: Envelope[] = [];
  for (let i = 0; i < events.length; i += window) {
    shuffled.push(...events.slice(i, i + window).map((e) => ({ e, k: rand() })).sort((x, y) => x.k - y.k).map((x) => x.e));
  }
  const late: Envelope[] = [];
  const out: Envelope[] = [];
  const again: Array<{ at: number; e: Envelope }> = [];
  shuffled.forEach((e, i) => {
    for (const d of again.filter((x) => x.at === i)) out.push(d.e);
    if (rand() < (options.late ?? 0.03)) {
      late.push(e);
      return;
    }
    out.push(e);
    if (rand() < (options.duplicates ?? 0.04)) again.push({ at: i + 1 + Math.floor(rand() * 60), e });
  });
  for (const d of again.filter((x) => x.at >= shuffled.length)) out.push(d.e);
  return [...out, ...late];
}

/** Spreads raw (poison) records through a stream, evenly. */
export function withRaw(events: readonly Envelope[], raw: ReadonlyArray<{ topic: string; key: string; value: string }>): LogEntry[] {
  const out: LogEntry[] = events.map((envelope) => ({ envelope }));
  raw.forEach((r, i) => out.splice(Math.floor(((i + 1) * out.length) / (raw.length + 1)), 0, { raw: r }));
  return out;
}

/** Publishes entries in order, a chunk at a time (so live consumers see them arrive over several fetches). */
export async function publishEntries(publisher: EventPublisher, topics: Topics, entries: readonly LogEntry[], chunk = 60): Promise<void> {
  const toRecord = (entry: LogEntry): { topic: string; message: Message } => {
    if ('raw' in entry) return { topic: entry.raw.topic, message: { key: entry.raw.key, value: entry.raw.value } };
    const r = encodeEnvelope(entry.envelope);
    return { topic: topics.name(EVENT_TYPES[entry.envelope.type].topic), message: { key: r.key, value: r.value } };
  };
  for (let i = 0; i < entries.length; i += chunk) await publisher.publishRecords(entries.slice(i, i + chunk).map(toRecord));
}

/** The app's topic names under the stack's prefix. */
export const appTopics = (app: ProjectionAppDefinition, topics: Topics): string[] =>
  [...new Set(app.handlers.flatMap((h) => topicsOf(h.eventTypes)))].map((t) => topics.name(t));

/** Whether the schema's checkpoints have reached the last offset of every partition of the app's topics. */
export async function caughtUp(stack: IsolatedStack, app: ProjectionAppDefinition, ds: DataSource): Promise<boolean> {
  const { last } = await lastOffsets(stack.kafka, appTopics(app, stack.topics));
  const rows = (await ds.query(`SELECT consumer, topic, partition, "offset"::text AS "offset" FROM "${app.schema}".checkpoints`)) as Array<{
    consumer: string;
    topic: string;
    partition: number;
    offset: string;
  }>;
  const at = new Map(rows.map((r) => [`${r.consumer}|${r.topic}|${r.partition}`, BigInt(r.offset)]));
  return app.handlers.every((h) =>
    [...eachPartition(last)].filter((p) => appTopics({ ...app, handlers: [h] }, stack.topics).includes(p.topic)).every((p) => (at.get(`${h.name}|${p.topic}|${p.partition}`) ?? -1n) >= p.offset),
  );
}

export interface LiveThenReplay {
  result: ReplayResult;
  /** Events each live instance applied: both took part. */
  applied: { first: number; second: number };
  /** How many parts the rebuild read the log in (short partitions, then long ones). */
  replayParts: number;
}

/**
 * Projects `parts` live, then rebuilds and verifies:
 *  - instance 1 starts, part 1 is published;
 *  - instance 2 joins the consumer group (a rebalance), part 2 is published;
 *  - once instance 2 has applied something, instance 1 leaves (another rebalance), part 3 is published;
 *  - when instance 2 has caught up, `replayProjectionApp(verify)` rebuilds the app from the topics
 *    (larger batches, other partition interleaving) and swaps it in if every table is identical.
 * Live transactions hold `liveBatch` records at most, the rebuild's more (see below), so batch
 * boundaries differ, and the rebuild reads its short partitions before its long ones, so it also
 * applies them in another order than live processing did.
 */
export async function liveThenReplay(
  stack: IsolatedStack,
  publisher: EventPublisher,
  app: ProjectionAppDefinition,
  parts: readonly [LogEntry[], LogEntry[], LogEntry[]],
  liveBatch = 17,
): Promise<LiveThenReplay> {
  const sources: DataSource[] = [];
  const open = async (): Promise<DataSource> => {
    const ds = createSchemaDataSource({ url: stack.databaseUrl, schema: app.schema, migrations: app.migrations, poolSize: 6 });
    await runMigrations(ds, stack.databaseUrl);
    sources.push(ds);
    return ds;
  };
  const instance = (ds: DataSource): ProjectionRunner[] =>
    app.handlers.map((handler) => new ProjectionRunner({ kafka: stack.kafka, dataSource: ds, topics: stack.topics, handler, publisher, logger, concurrency: 2, maxRecordsPerTransaction: liveBatch }));
  const applied = (runners: readonly ProjectionRunner[]): number => runners.reduce((n, r) => n + r.appliedCount, 0);
  let first: ProjectionRunner[] = [];
  let second: ProjectionRunner[] = [];
  try {
    const ds1 = await open();
    first = instance(ds1);
    for (const r of first) await r.start();
    await publishEntries(publisher, stack.topics, parts[0]);

    second = instance(await open());
    for (const r of second) await r.start();
    await publishEntries(publisher, stack.topics, parts[1]);
    await eventually(async () => applied(second), (n) => n > 0, 120_000);

    const firstApplied = applied(first);
    for (const r of first) await r.stop();
    await publishEntries(publisher, stack.topics, parts[2]);
    if (!(await eventually(() => caughtUp(stack, app, ds1), Boolean, 180_000))) throw new Error(`live ${app.name} did not catch up`);

    // Rebuild transactions hold at most halfway between the shortest and the longest partition's
    // records: the short partitions are rebuilt first, then the long ones.
    const { last } = await lastOffsets(stack.kafka, appTopics(app, stack.topics));
    const sizes = [...eachPartition(last)].map((p) => Number(p.offset) + 1);
    const replayBatch = Math.min(...sizes) + Math.floor((Math.max(...sizes) - Math.min(...sizes)) / 2);
    const replayParts = rebuildOrder(new Map(), last, replayBatch).length;
    const result = await replayProjectionApp({ app, databaseUrl: stack.databaseUrl, kafka: stack.kafka, topics: stack.topics, publisher, logger, verify: true, maxRecordsPerTransaction: replayBatch });
    return { result, applied: { first: firstApplied, second: applied(second) }, replayParts };
  } finally {
    for (const r of [...first, ...second]) await r.stop();
    for (const ds of sources) if (ds.isInitialized) await ds.destroy();
  }
}

/** Splits entries into three parts of about equal size. */
export const thirds = <T>(xs: readonly T[]): [T[], T[], T[]] => {
  const a = Math.floor(xs.length / 3);
  return [xs.slice(0, a), xs.slice(a, 2 * a), xs.slice(2 * a)];
};

export interface ReplayStack {
  stack: IsolatedStack;
  publisher: EventPublisher;
}

/**
 * A stack (4 partitions by default) and a publisher for the spec file, set up before its tests and
 * cleaned up after.
 */
export function replayStack(label: string, options: { partitions?: number; publisher?: Partial<EventPublisherOptions> } = {}): () => ReplayStack {
  let current: ReplayStack | undefined;
  beforeAll(async () => {
    const stack = await isolatedStack(label, { partitions: options.partitions ?? 4 });
    current = { stack, publisher: new EventPublisher(stack.kafka, stack.topics, { publishTimeoutMs: 10_000, maxRecordsPerRequest: 1_000, compression: 'none', ...options.publisher }) };
  });
  afterAll(async () => {
    await current?.publisher.disconnect();
    await current?.stack.cleanup();
  });
  return () => current!;
}

/**
 * What every determinism spec asserts: the rebuild found every table identical and was swapped in;
 * it compared exactly `tables` (the read models plus the adapter's own), each of `nonEmpty` had rows
 * (the stream exercised it), `dead_letters` held `deadLetters` rows, and both live instances worked.
 */
export function expectIdenticalRebuild(run: LiveThenReplay, expected: { tables: readonly string[]; nonEmpty: readonly string[]; deadLetters: number }): Record<string, number> {
  expect(run.result.differences).toEqual([]);
  expect(run.result.swapped).toBe(true);
  const rows = Object.fromEntries(run.result.compared.map((c) => [c.table, c.rows]));
  expect(Object.keys(rows).sort()).toEqual([...expected.tables].sort());
  expect(expected.nonEmpty.filter((t) => !(rows[t]! > 0))).toEqual([]);
  expect(rows.dead_letters).toBe(expected.deadLetters);
  expect(run.applied.first).toBeGreaterThan(0);
  expect(run.applied.second).toBeGreaterThan(0);
  // The stream has partitions of more than one size, so the rebuild read them in another order than live did.
  expect(run.replayParts).toBeGreaterThanOrEqual(2);
  return rows;
}
