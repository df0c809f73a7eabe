import type { Kafka } from 'kafkajs';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import type { Topics } from '@revstream/events';
import { describeRetention, type EventPublisher, retentionProblem } from '@revstream/kafka';
import type { Logger } from '@revstream/observability';
import { createSchemaDataSource, ensureDatabase, quoteIdent, runMigrations, schemaChecksums, type TableChecksum } from '@revstream/persistence';
import { topicsOf } from '../document-projection.handler';
import type { ProjectionAppDefinition } from '../projection-app.definition';
import type { ProjectionHandler } from '../projection-handler';
import { ProjectionRunner, swapLockKey } from '../projection-runner';
import { eachPartition, lastOffsets, offsetsOf, type PartitionOffsets, prefixOf, readRange, rebuildOrder } from './partition-reader';

export class ReplayRefusedError extends Error {
  override readonly name = 'ReplayRefusedError';
}

export type ReplayPhase = 'rebuild' | 'catch-up' | 'swap' | 'verify';

export interface ReplayProgress {
  phase: ReplayPhase;
  /** Records applied to the rebuild so far (all phases). */
  done: number;
  /** Records the rebuild must reach in this phase (the high-water marks, then live). */
  total: number;
}

export interface TableDifference {
  table: string;
  live: TableChecksum | null;
  rebuilt: TableChecksum | null;
}

export interface ReplayResult {
  schema: string;
  /** Records read and applied into the rebuild. */
  records: number;
  seconds: number;
  /** With verify and a live schema: every table compared at the same log position. */
  compared: TableChecksum[];
  /** Whether tables were compared (verify asked, and there was a live schema to compare with). */
  verified: boolean;
  differences: TableDifference[];
  swapped: boolean;
  resumed: boolean;
}

export interface ReplayOptions {
  app: ProjectionAppDefinition;
  databaseUrl: string;
  kafka: Kafka;
  topics: Topics;
  publisher: EventPublisher;
  logger: Logger;
  /** Compare every table with the live one at the same log position before swapping; keep the live one on any difference. */
  verify?: boolean;
  onProgress?: (progress: ReplayProgress) => void;
  /** Stop catching up once the rebuild trails live by at most this many records, then swap. */
  catchUpSlack?: number;
  /** Leave the rebuilt schema beside the live one instead of swapping (tests, dry runs). */
  swap?: boolean;
  /** Aborting stops the rebuild between two batches; starting it again resumes from its checkpoints. */
  signal?: AbortSignal;
  /** Drop an earlier, unfinished rebuild (or one kept after a verify difference) instead of resuming it. */
  fresh?: boolean;
  /** Partitions rebuilt at once, each in its own transactions. Default 4. */
  concurrency?: number;
  /** Records per rebuild transaction at most (consecutive fetched batches of a partition are joined). Default 100,000. */
  maxRecordsPerTransaction?: number;
  /**
   * Records a shadow may hold once its bulk phase ends, at most, for handlers with a bulk rebuild
   * (`ProjectionHandler.bulkRebuild`): their memory grows with them (metering keeps each reading's
   * dedup key, about 100 bytes, also those of a resumed shadow). The rest of the rebuild goes the live
   * way. 0 turns bulk off. Default 4,000,000.
   */
  bulkMaxRecords?: number;
}

/** Records per rebuild transaction, by default (`--batch`). */
export const DEFAULT_REPLAY_BATCH = 100_000;
/** Records a shadow may hold when its bulk phase ends, by default (`--bulk-max`). */
export const DEFAULT_REPLAY_BULK_MAX = 4_000_000;

const shadowName = (schema: string): string => `${schema}__rebuild`;
/** Tables that describe a schema rather than project the log: never compared. */
const NOT_COMPARED = new Set(['migrations', 'projection_meta']);

async function schemaExists(client: Client, schema: string): Promise<boolean> {
  const { rowCount } = await client.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [schema]);
  return (rowCount ?? 0) > 0;
}

async function checkpointsOf(db: Client | DataSource, schema: string, topicNames: readonly string[]): Promise<PartitionOffsets> {
  const sql = `SELECT topic, partition, max("offset")::text AS offset FROM ${quoteIdent(schema)}.checkpoints WHERE topic = ANY($1) GROUP BY topic, partition`;
  const rows = (db instanceof Client ? (await db.query(sql, [topicNames])).rows : await db.query(sql, [topicNames])) as Array<{
    topic: string;
    partition: number;
    offset: string;
  }>;
  return offsetsOf(rows.filter((r) => BigInt(r.offset) >= 0n).map((r) => ({ topic: r.topic, partition: r.partition, offset: BigInt(r.offset) })));
}

const countBetween = (from: PartitionOffsets, to: PartitionOffsets): number => {
  let n = 0n;
  for (const p of eachPartition(to)) {
    const start = from.get(p.topic)?.get(p.partition) ?? -1n;
    if (p.offset > start) n += p.offset - start;
  }
  return Number(n);
};

const maxOf = (a: PartitionOffsets, b: PartitionOffsets): PartitionOffsets => {
  const out: PartitionOffsets = new Map();
  for (const src of [a, b]) for (const p of eachPartition(src)) {
    const byPartition = out.get(p.topic) ?? new Map<number, bigint>();
    const current = byPartition.get(p.partition);
    if (current === undefined || p.offset > current) byPartition.set(p.partition, p.offset);
    out.set(p.topic, byPartition);
  }
  return out;
};

async function tablesOf(client: Client, schema: string): Promise<string[]> {
  const { rows } = await client.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY table_name`,
    [schema],
  );
  return rows.map((r) => r.table_name).filter((t) => !NOT_COMPARED.has(t));
}

/**
 * Points a consumer group that has no committed offsets yet at the checkpoints, so the first start of
 * a swapped-in schema's consumers (a new group: another version or generation) does not read the whole
 * log again only to skip it. Offsets are a hint (the checkpoints decide), so a failure only costs time.
 */
async function seedGroupOffsets(kafka: Kafka, groupId: string, checkpoints: PartitionOffsets, logger: Logger): Promise<void> {
  const topicNames = [...checkpoints.keys()];
  if (topicNames.length === 0) return;
  const admin = kafka.admin();
  try {
    await admin.connect();
    const committed = await admin.fetchOffsets({ groupId, topics: topicNames });
    if (committed.some((t) => t.partitions.some((p) => p.offset !== '-1'))) return;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  // Kafka takes commits from members only: join the (empty) group once, commit, leave. (kafkajs ignores
  // commits until run() has resolved, and must not restart a consumer that crashes while leaving.)
  let leaving = false;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, retry: { restartOnFailure: async () => !leaving } });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: topicNames, fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: async () => undefined });
    consumer.pause(topicNames.map((topic) => ({ topic })));
    await consumer.commitOffsets([...eachPartition(checkpoints)].map((p) => ({ topic: p.topic, partition: p.partition, offset: (p.offset + 1n).toString() })));
  } catch (error) {
    logger.warn({ err: error, groupId }, 'could not point the new consumer group at the checkpoints; its consumers will skip what is applied');
  } finally {
    leaving = true;
    await consumer.disconnect().catch(() => undefined);
  }
}

/**
 * Rebuilds an app's read models from the topics, with no downtime:
 *  1. into a shadow schema (`<schema>__rebuild`), from the earliest offsets up to the high-water marks
 *     taken at the start (resumable: the shadow keeps its own checkpoints);
 *  2. then keeps going until it trails the live consumers by at most `catchUpSlack` records;
 *  3. then, holding the schema's swap lock (live batch transactions wait for it, reads don't), brings
 *     the rebuild to exactly the live checkpoints, optionally verifies every table byte for byte, and
 *     swaps the schemas in one transaction: the live consumers continue on the rebuilt schema from
 *     its checkpoints, in their consumer group. The old schema is dropped.
 * Topics whose retention could have dropped records are refused.
 */
export async function replayProjectionApp(options: ReplayOptions): Promise<ReplayResult> {
  const started = Date.now();
  const { app, kafka, topics, logger } = options;
  const live = app.schema;
  const shadow = shadowName(live);
  const topicNames = [...new Set(app.handlers.flatMap((h) => topicsOf(h.eventTypes)))].map((t) => topics.name(t));
  const concurrency = options.concurrency ?? 4;
  const maxRecordsPerCall = options.maxRecordsPerTransaction ?? DEFAULT_REPLAY_BATCH;

  // 0. The log must still hold everything.
  for (const r of await describeRetention(kafka, topicNames)) {
    const problem = retentionProblem(r);
    if (problem) throw new ReplayRefusedError(`refusing to rebuild ${live}: ${problem}, so a rebuild would be incomplete`);
  }
  const { last: highWater, first: lowWater } = await lastOffsets(kafka, topicNames);
  for (const p of eachPartition(lowWater)) {
    if (p.offset > 0n) throw new ReplayRefusedError(`refusing to rebuild ${live}: ${p.topic} partition ${p.partition} starts at offset ${p.offset}; earlier records are gone`);
  }

  await ensureDatabase(options.databaseUrl);
  const admin = new Client({ connectionString: options.databaseUrl });
  await admin.connect();
  const shadowDs = createSchemaDataSource({ url: options.databaseUrl, schema: shadow, migrations: app.migrations, poolSize: concurrency + 2, applicationName: `revstream-replay-${live}` });
  let liveDs: DataSource | undefined;
  try {
    // One replay of a schema at a time (the lock goes with this connection, also when the process dies).
    // Its key is no schema's swap lock: the shadow's runners take the shadow's, shared.
    const [{ free }] = (await admin.query<{ free: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS free', [swapLockKey(`${live}__replay`)])).rows as [{ free: boolean }];
    if (!free) throw new ReplayRefusedError(`refusing to rebuild ${live}: another replay of it is running`);

    // A replay stopped between its swap and dropping the old schema left it behind: nothing uses it.
    const { rows: stale } = await admin.query<{ name: string }>(`SELECT schema_name AS name FROM information_schema.schemata WHERE starts_with(schema_name, $1)`, [`${live}__old_`]);
    for (const { name } of stale) await admin.query(`DROP SCHEMA ${quoteIdent(name)} CASCADE`);

    let resumed = await schemaExists(admin, shadow);
    if (resumed) {
      // Resume only a rebuild of these very projection versions; anything else starts over.
      const meta = (await admin.query<{ projection: string; version: number }>(`SELECT projection, version FROM ${quoteIdent(shadow)}.projection_meta`).catch(() => ({ rows: [] }))).rows;
      const same = app.handlers.every((h) => meta.some((m) => m.projection === h.name && m.version === h.version));
      if (!same || options.fresh) {
        logger.warn({ schema: shadow }, options.fresh ? 'dropping an earlier rebuild (fresh)' : 'dropping an earlier rebuild of another projection version');
        await admin.query(`DROP SCHEMA ${quoteIdent(shadow)} CASCADE`);
        resumed = false;
      } else {
        logger.info({ schema: shadow }, 'resuming an earlier rebuild from its checkpoints');
      }
    }
    await runMigrations(shadowDs, options.databaseUrl);
    const runnerOf = (handler: ProjectionHandler): ProjectionRunner =>
      new ProjectionRunner({ kafka, dataSource: shadowDs, topics, handler, publisher: options.publisher, logger, maxRecordsPerTransaction: maxRecordsPerCall });
    const shadowRunners = app.handlers.map(runnerOf);
    for (const r of shadowRunners) await r.generation();

    let applied = 0;
    let runners = shadowRunners;
    const apply = async (topic: string, partition: number, records: Parameters<ProjectionRunner['applyRecords']>[2]): Promise<void> => {
      options.signal?.throwIfAborted();
      for (const r of runners) if (r.topicNames.includes(topic)) await r.applyRecords(topic, partition, records);
      applied += records.length;
      options.onProgress?.({ phase, done: applied, total: phaseTotal });
      options.signal?.throwIfAborted();
    };
    const rebuild = (from: PartitionOffsets, to: PartitionOffsets, stageOf?: (topic: string, partition: number) => number): Promise<void> =>
      readRange({ kafka, from, to, onRecords: apply, concurrency, maxRecordsPerCall, ...(stageOf ? { stageOf } : {}) });
    // Tiny partitions first, then short, then long (rebuildOrder), as stages of one read: each stage's
    // records are fetched while the one before is applied. Only here, where it matters.
    const rebuildInStages = async (from: PartitionOffsets, to: PartitionOffsets): Promise<void> => {
      const stages = new Map<string, number>();
      for (const [i, part] of rebuildOrder(from, to, maxRecordsPerCall).entries()) for (const p of eachPartition(part)) stages.set(`${p.topic}:${p.partition}`, i);
      await rebuild(from, to, (topic, partition) => stages.get(`${topic}:${partition}`) ?? 0);
    };
    let phase: ReplayPhase = 'rebuild';
    let phaseTotal = 0;
    const report = (next: ReplayPhase, total: number): void => {
      phase = next;
      phaseTotal = total;
      options.onProgress?.({ phase, done: applied, total });
    };
    const result = (fields: Pick<ReplayResult, 'compared' | 'differences' | 'swapped' | 'verified'>): ReplayResult => ({
      schema: live, records: applied, seconds: (Date.now() - started) / 1000, resumed, ...fields,
    });

    // 1. Up to the high-water marks taken at the start: as much as the budget allows with the handlers'
    // bulk rebuilds, then (after they restore what live processing expects) the rest the live way.
    const initial = await checkpointsOf(shadowDs, shadow, topicNames);
    report('rebuild', applied + countBetween(initial, highWater));
    // The budget counts what the shadow already holds: resuming, a bulk handler registers all of it.
    const bulkBudget = (options.bulkMaxRecords ?? DEFAULT_REPLAY_BULK_MAX) - countBetween(new Map(), initial);
    const bulkTo = app.handlers.some((h) => h.bulkRebuild) && bulkBudget > 0 ? prefixOf(initial, highWater, bulkBudget, maxRecordsPerCall) : initial;
    if (countBetween(initial, bulkTo) > 0) {
      runners = [];
      for (const [i, handler] of app.handlers.entries()) {
        const bulk = handler.bulkRebuild;
        runners.push(bulk ? runnerOf(await shadowRunners[i]!.inTransaction((tx) => bulk.start(tx))) : shadowRunners[i]!);
      }
      await rebuildInStages(initial, bulkTo);
      runners = shadowRunners;
    }
    // Also when this run had no bulk phase: an interrupted earlier one is finished before going on.
    for (const [i, handler] of app.handlers.entries()) {
      const bulk = handler.bulkRebuild;
      if (bulk) await shadowRunners[i]!.inTransaction((tx, beside) => bulk.finish(tx, beside));
    }
    await rebuildInStages(bulkTo, highWater);

    // 2. Catch up with live traffic (the live consumers' checkpoints, or the log's end when none run).
    const liveExists = await schemaExists(admin, live);
    const slack = options.catchUpSlack ?? 1_000;
    for (let round = 0; round < 50; round++) {
      const rebuilt = await checkpointsOf(shadowDs, shadow, topicNames);
      const target = liveExists ? await checkpointsOf(admin, live, topicNames) : (await lastOffsets(kafka, topicNames)).last;
      const behind = countBetween(rebuilt, target);
      report('catch-up', applied + behind);
      if (behind <= slack) break;
      await rebuild(rebuilt, target);
    }

    if (options.swap === false && !options.verify) return result({ compared: [], differences: [], swapped: false, verified: false });

    // 3. Swap, holding the swap lock so no live batch commits in between.
    const lock = new Client({ connectionString: options.databaseUrl, application_name: `revstream-replay-swap-${live}` });
    await lock.connect();
    const lockRows = { query: async (sql: string, params?: unknown[]): Promise<unknown> => (await lock.query(sql, params)).rows };
    try {
      await lock.query('SELECT pg_advisory_lock($1::bigint)', [swapLockKey(live)]);
      report('swap', applied);
      let compared: TableChecksum[] = [];
      const differences: TableDifference[] = [];
      const verified = liveExists && options.verify === true;
      if (liveExists) {
        const liveAt = await checkpointsOf(lock, live, topicNames);
        const rebuiltAt = await checkpointsOf(shadowDs, shadow, topicNames);
        // The rebuild must reach every live checkpoint, or the live consumers would skip records on the new schema.
        await rebuild(rebuiltAt, liveAt);
        if (verified) {
          // Where the rebuild is ahead (live consumers lagging or stopped), live processing catches up first,
          // with the same handlers, so both are compared at one log position.
          liveDs = createSchemaDataSource({ url: options.databaseUrl, schema: live, migrations: app.migrations, poolSize: concurrency + 1 });
          await liveDs.initialize();
          const liveRunners = app.handlers.map(
            (handler) => new ProjectionRunner({ kafka, dataSource: liveDs!, topics, handler, publisher: options.publisher, logger, holdSwapLock: false }),
          );
          const rebuiltNow = await checkpointsOf(shadowDs, shadow, topicNames);
          await readRange({
            kafka,
            from: liveAt,
            to: maxOf(rebuiltNow, liveAt),
            concurrency,
            maxRecordsPerCall,
            onRecords: async (topic, partition, records) => {
              for (const r of liveRunners) if (r.topicNames.includes(topic)) await r.applyRecords(topic, partition, records);
            },
          });
          report('verify', applied);
          const liveTables = (await tablesOf(lock, live)).sort();
          const shadowTables = (await tablesOf(lock, shadow)).sort();
          const tables = [...new Set([...liveTables, ...shadowTables])].sort();
          const liveSums = new Map((await schemaChecksums(lockRows, live, liveTables)).map((c) => [c.table, c]));
          const shadowSums = new Map((await schemaChecksums(lockRows, shadow, shadowTables)).map((c) => [c.table, c]));
          compared = tables.map((t) => shadowSums.get(t) ?? { table: t, rows: 0, md5: '' });
          for (const t of tables) {
            const a = liveSums.get(t) ?? null;
            const b = shadowSums.get(t) ?? null;
            if (a === null || b === null || a.md5 !== b.md5 || a.rows !== b.rows) differences.push({ table: t, live: a, rebuilt: b });
          }
        }
      }
      const swap = options.swap !== false && differences.length === 0;
      if (swap) {
        const old = `${live}__old_${Date.now()}`;
        await lock.query('BEGIN');
        if (liveExists) {
          // The live consumers stay in their consumer group: the rebuild takes over its generation.
          await lock.query(
            `UPDATE ${quoteIdent(shadow)}.projection_meta s SET generation = l.generation FROM ${quoteIdent(live)}.projection_meta l WHERE s.projection = l.projection AND s.version = l.version`,
          );
          await lock.query(`ALTER SCHEMA ${quoteIdent(live)} RENAME TO ${quoteIdent(old)}`);
        }
        await lock.query(`ALTER SCHEMA ${quoteIdent(shadow)} RENAME TO ${quoteIdent(live)}`);
        await lock.query('COMMIT');
        await lock.query('SELECT pg_advisory_unlock($1::bigint)', [swapLockKey(live)]);
        if (liveExists) await lock.query(`DROP SCHEMA ${quoteIdent(old)} CASCADE`);
        logger.info({ schema: live, records: applied }, 'rebuilt schema swapped in');
        const { rows: meta } = await lock.query<{ projection: string; version: number; generation: string }>(`SELECT projection, version, generation FROM ${quoteIdent(live)}.projection_meta`);
        for (const m of meta) {
          const handler = shadowRunners.find((r) => r.name === m.projection);
          if (!handler) continue;
          // The group id a ProjectionRunner derives from the schema (projection-runner.ts, start()).
          const at = await checkpointsOf(lock, live, handler.topicNames);
          await seedGroupOffsets(kafka, `${topics.prefix}.${m.projection}.v${m.version}.${m.generation}`, at, logger);
        }
      }
      return result({ compared, differences, swapped: swap, verified });
    } finally {
      await lock.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
      await lock.end();
    }
  } finally {
    if (shadowDs.isInitialized) await shadowDs.destroy();
    if (liveDs?.isInitialized) await liveDs.destroy();
    await admin.end();
  }
}
