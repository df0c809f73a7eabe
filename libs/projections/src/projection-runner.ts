import { randomBytes } from 'node:crypto';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { DataSource, QueryRunner } from 'typeorm';
import { decodeEnvelope, type DomainEvent, PoisonEventError, type PoisonReason, Topics } from '@revstream/events';
import type { EventPublisher } from '@revstream/kafka';
import { counter, histogram, type Logger } from '@revstream/observability';
import { quoteIdent, schemaOf } from '@revstream/persistence';
import type { Beside, ProjectionHandler, RejectedEvent } from './projection-handler';
import { isDeterministicDbError, type ProjectionTx, type ProjectionTxControl, projectionTx } from './projection-tx';
import { topicsOf } from './document-projection.handler';

export interface ProjectionRunnerOptions {
  kafka: Kafka;
  /** Initialized, migrated, with the projection's schema. */
  dataSource: DataSource;
  topics: Topics;
  handler: ProjectionHandler;
  /** Publishes dead letters to the dead-letter topic before the transaction that records them commits. */
  publisher: EventPublisher;
  logger: Logger;
  /** Partitions processed at once (each in its own transaction). */
  concurrency?: number;
  /** Records per transaction at most. */
  maxRecordsPerTransaction?: number;
  /**
   * Bytes fetched per partition per request (kafkajs maxBytesPerPartition), default 2 MiB: what bounds
   * a batch when maxRecordsPerTransaction is larger than one fetch holds.
   */
  maxBytesPerPartition?: number;
  /** Consumer group id; defaults to `<prefix>.<name>.v<version>.<generation>`. */
  groupId?: string;
  /**
   * Take the schema's swap lock (shared) in every batch transaction, so a replay can swap the schema
   * between two batches. Only a replay applying records while it holds the lock turns this off.
   */
  holdSwapLock?: boolean;
}

/** The advisory lock a replay takes exclusively to swap a schema; batch transactions take it shared. */
export function swapLockKey(schema: string): string {
  let h = 0xcbf29ce484222325n;
  for (const ch of `revstream-swap:${schema}`) {
    h ^= BigInt(ch.charCodeAt(0));
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return BigInt.asIntN(64, h).toString();
}

/** One Kafka record, as the runner sees it. */
export interface LogRecord {
  offset: string;
  key: Buffer | string | null;
  value: Buffer | string | null;
}

export class ProjectionVersionMismatchError extends Error {
  override readonly name = 'ProjectionVersionMismatchError';
}

const processed = counter('revstream_consumer_events_total', 'Records a consumer handled, by outcome', ['consumer', 'topic', 'outcome']);
const deadLettered = counter('revstream_dead_letters_total', 'Records dead-lettered, by reason', ['consumer', 'topic', 'reason']);
const transactionSeconds = histogram('revstream_consumer_transaction_seconds', 'One batch transaction, from BEGIN to COMMIT', ['consumer'], [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface DeadLetter {
  record: LogRecord;
  event?: DomainEvent;
  reason: PoisonReason;
  detail: string;
}

/**
 * Runs one projection from Kafka into Postgres with an exactly-once effect:
 *  - per partition batch, one Postgres transaction locks that partition's checkpoint row, skips
 *    records at or below it (redeliveries after a crash or rebalance), applies the rest through the
 *    handler, records dead letters, moves the checkpoint, and commits;
 *  - only then are Kafka offsets resolved and committed (they are a hint; the checkpoint decides);
 *  - a record that cannot be decoded or applied is dead-lettered (topic + table) with its reason,
 *    and the partition keeps moving. Infrastructure errors (Postgres down) are retried, never dead-lettered.
 */
export class ProjectionRunner {
  private consumer: Consumer | undefined;
  private readonly schema: string;
  private readonly quoted: string;
  private stopping = false;
  private assigned: Record<string, number[]> = {};
  /** Events this instance applied (not redelivered, not dead-lettered) since it was created. */
  appliedCount = 0;

  constructor(private readonly options: ProjectionRunnerOptions) {
    this.schema = schemaOf(options.dataSource);
    this.quoted = quoteIdent(this.schema);
  }

  get name(): string {
    return this.options.handler.name;
  }

  /** The partitions this instance holds in its consumer group, by topic, as of the last rebalance. */
  get assignment(): Readonly<Record<string, number[]>> {
    return this.assigned;
  }

  get topicNames(): string[] {
    return topicsOf(this.options.handler.eventTypes).map((t) => this.options.topics.name(t));
  }

  /** Records (or checks) which projection version this schema holds, and returns its consumer generation. */
  async generation(): Promise<string> {
    const { handler } = this.options;
    await this.options.dataSource.query(
      `INSERT INTO ${this.quoted}.projection_meta (projection, version, generation) VALUES ($1, $2, $3) ON CONFLICT (projection) DO NOTHING`,
      [handler.name, handler.version, randomBytes(4).toString('hex')],
    );
    const [meta] = (await this.options.dataSource.query(`SELECT version, generation FROM ${this.quoted}.projection_meta WHERE projection = $1`, [
      handler.name,
    ])) as Array<{ version: number; generation: string }>;
    if (meta!.version !== handler.version) {
      throw new ProjectionVersionMismatchError(
        `schema ${this.schema} holds ${handler.name} v${meta!.version} but this code projects v${handler.version}; ` +
          `rebuild it with \`npm run cli -- replay ${handler.name}\``,
      );
    }
    return meta!.generation;
  }

  async start(): Promise<void> {
    const { kafka, handler, logger } = this.options;
    const groupId = this.options.groupId ?? `${this.options.topics.prefix}.${handler.name}.v${handler.version}.${await this.generation()}`;
    const consumer = kafka.consumer({
      groupId,
      sessionTimeout: 30_000,
      rebalanceTimeout: 60_000,
      // kafkajs sends a heartbeat only if this long has passed since the last one.
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: 100,
      maxBytesPerPartition: this.options.maxBytesPerPartition ?? 2 * 1024 * 1024,
      maxBytes: Math.max(16 * 1024 * 1024, (this.options.maxBytesPerPartition ?? 0) * (this.options.concurrency ?? 2)),
      // kafkajs restarts a crashed consumer (a broker outage) on a timer of its own, which disconnect()
      // does not always catch: a consumer that restarts after stop() kept the process alive.
      retry: { initialRetryTime: 300, maxRetryTime: 10_000, retries: Number.MAX_SAFE_INTEGER, restartOnFailure: async () => !this.stopping },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      if (this.stopping) {
        // Restarted (after a crash) while stopping: leave again.
        void consumer.disconnect().catch(() => undefined);
        return;
      }
      this.assigned = e.payload.memberAssignment;
      logger.info({ projection: handler.name, assignment: this.assigned }, 'partitions assigned');
    });
    await consumer.connect();
    await consumer.subscribe({ topics: this.topicNames, fromBeginning: true });
    logger.info({ projection: handler.name, version: handler.version, groupId, topics: this.topicNames, schema: this.schema }, 'projection consumer starting');
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.concurrency ?? 2,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const max = this.options.maxRecordsPerTransaction ?? 5_000;
        let last: string | undefined;
        for (let i = 0; i < batch.messages.length; i += max) {
          if (!isRunning() || isStale()) break;
          // Before each transaction: a member that joined meanwhile (scale-out, or two instances
          // starting together) is then let in at once instead of after this transaction, which can be
          // 150,000 records. On a rebalance this throws and kafkajs rejoins; the fetched records are
          // fetched again, and the checkpoint says what is already applied.
          await heartbeat();
          const chunk = batch.messages.slice(i, i + max);
          await this.withRetry(() => this.applyRecords(batch.topic, batch.partition, chunk), heartbeat, isRunning);
          last = chunk[chunk.length - 1]!.offset;
          resolveOffset(last);
        }
        if (last !== undefined) {
          await consumer
            .commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }])
            .catch((error: unknown) => logger.debug({ err: error }, 'offset hint not committed (the checkpoint still holds)'));
        }
      },
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.consumer?.disconnect();
    this.consumer = undefined;
  }

  /** Retries infrastructure failures (Postgres restarting, Kafka hiccups) until they pass or we stop. */
  private async withRetry(work: () => Promise<unknown>, heartbeat: () => Promise<void>, isRunning: () => boolean): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await work();
        return;
      } catch (error) {
        if (this.stopping || !isRunning()) throw error;
        const delay = Math.min(10_000, 200 * 2 ** Math.min(attempt, 6));
        this.options.logger.warn({ err: error, attempt, retryInMs: delay, projection: this.name }, 'batch failed; retrying');
        await sleep(delay);
        await heartbeat().catch(() => undefined);
      }
    }
  }

  /**
   * Applies records of one partition, in one transaction with the checkpoint. Also the entry point
   * for replays and tests that feed records without a consumer group. Returns how many were new.
   */
  async applyRecords(topic: string, partition: number, records: ReadonlyArray<LogRecord | KafkaMessage>): Promise<number> {
    if (records.length === 0) return 0;
    const started = process.hrtime.bigint();
    const queryRunner = this.options.dataSource.createQueryRunner();
    await queryRunner.connect();
    let tx = projectionTx(queryRunner, this.quoted);
    try {
      await queryRunner.startTransaction();
      let result: number;
      try {
        result = await this.applyInTransaction(tx, topic, partition, records, false);
      } catch (error) {
        await queryRunner.rollbackTransaction();
        tx.rollBackTo(0);
        if (!isDeterministicDbError(error)) throw error;
        // Some event's rows break a constraint: redo the batch one event at a time, dead-lettering the culprits.
        this.options.logger.warn({ err: error, projection: this.name, topic, partition }, 'batch hit a data error; isolating the events that cause it');
        tx = projectionTx(queryRunner, this.quoted);
        await queryRunner.startTransaction();
        result = await this.applyInTransaction(tx, topic, partition, records, true);
      }
      await queryRunner.commitTransaction();
      tx.committed();
      transactionSeconds.observe({ consumer: this.name }, Number(process.hrtime.bigint() - started) / 1e9);
      return result;
    } catch (error) {
      if (queryRunner.isTransactionActive) await queryRunner.rollbackTransaction().catch(() => undefined);
      // Not committed (the commit itself may have failed): whatever the handlers cached is undone.
      tx.rollBackTo(0);
      throw error;
    } finally {
      await queryRunner.release();
    }
  }

  /**
   * Runs `work` in one transaction on the projection's schema (a replay prepares and restores its bulk
   * phase so). `work` may start one more transaction beside it (`beside`), on a connection of its
   * own, at the same time: once `work` is done and the other's work too, the other commits, then this
   * one. When anything fails, whatever has not committed rolls back.
   */
  async inTransaction<T>(work: (tx: ProjectionTx, beside: Beside) => Promise<T>): Promise<T> {
    const queryRunner = this.options.dataSource.createQueryRunner();
    await queryRunner.connect();
    const tx = projectionTx(queryRunner, this.quoted);
    const sides: Array<{ runner: QueryRunner; tx: ProjectionTxControl; done: Promise<void> }> = [];
    const beside: Beside = (sideWork) => {
      if (sides.length > 0) throw new Error('inTransaction: one transaction beside at most');
      const runner = this.options.dataSource.createQueryRunner();
      const sideTx = projectionTx(runner, this.quoted);
      const done = (async () => {
        await runner.connect();
        await runner.startTransaction();
        await sideWork(sideTx);
      })();
      // Awaited once `work` returns; a failure meanwhile must not go unhandled.
      done.catch(() => undefined);
      sides.push({ runner, tx: sideTx, done });
    };
    try {
      await queryRunner.startTransaction();
      let result: T;
      try {
        result = await work(tx, beside);
      } finally {
        // Whatever `work` did, the other transaction's work is over before anything is decided.
        for (const side of sides) await side.done.catch(() => undefined);
      }
      for (const side of sides) {
        await side.done;
        await side.runner.commitTransaction();
        side.tx.committed();
      }
      await queryRunner.commitTransaction();
      tx.committed();
      return result;
    } catch (error) {
      if (queryRunner.isTransactionActive) await queryRunner.rollbackTransaction().catch(() => undefined);
      tx.rollBackTo(0);
      for (const side of sides) {
        if (side.runner.isTransactionActive) await side.runner.rollbackTransaction().catch(() => undefined);
        side.tx.rollBackTo(0);
      }
      throw error;
    } finally {
      await queryRunner.release();
      for (const side of sides) await side.runner.release().catch(() => undefined);
    }
  }

  private async applyInTransaction(
    tx: ProjectionTxControl,
    topic: string,
    partition: number,
    records: ReadonlyArray<LogRecord | KafkaMessage>,
    isolate: boolean,
  ): Promise<number> {
    const { handler } = this.options;
    if (this.options.holdSwapLock !== false) await tx.query('SELECT pg_advisory_xact_lock_shared($1::bigint)', [swapLockKey(this.schema)]);
    await tx.query(
      `INSERT INTO ${this.quoted}.checkpoints (consumer, topic, partition, "offset") VALUES ($1, $2, $3, -1) ON CONFLICT DO NOTHING`,
      [handler.name, topic, partition],
    );
    const [checkpoint] = await tx.query<{ offset: string }>(
      `SELECT "offset" FROM ${this.quoted}.checkpoints WHERE consumer = $1 AND topic = $2 AND partition = $3 FOR UPDATE`,
      [handler.name, topic, partition],
    );
    const applied = BigInt(checkpoint!.offset);
    // Records come in offset order: when the first is past the checkpoint, all are (no BigInt per record).
    const fresh = BigInt(records[0]!.offset) > applied ? records : records.filter((r) => BigInt(r.offset) > applied);
    if (fresh.length === 0) {
      processed.inc({ consumer: handler.name, topic, outcome: 'redelivered' }, records.length);
      return 0;
    }

    const deadLetters: DeadLetter[] = [];
    const wanted = new Set<string>(handler.eventTypes);
    let skipped = 0;
    let decoded = 0;
    let read = false;
    let exhausted = false;
    /** The fresh records' events, decoded as they are reached; poison records become dead letters. */
    function* decodeFresh(): Generator<DomainEvent> {
      if (read) throw new Error(`${handler.name}: a batch's events can be read once`);
      read = true;
      for (const record of fresh) {
        let event: DomainEvent;
        try {
          event = decodeEnvelope(record.value, { topic, partition, offset: record.offset });
        } catch (error) {
          if (!(error instanceof PoisonEventError)) throw error;
          deadLetters.push({ record, reason: error.reason, detail: error.detail });
          continue;
        }
        if (!wanted.has(event.type)) {
          skipped++;
          continue;
        }
        decoded++;
        yield event;
      }
      exhausted = true;
    }

    const rejected: RejectedEvent[] = [];
    if (!isolate && handler.applyStream) {
      rejected.push(...(await handler.applyStream({ [Symbol.iterator]: decodeFresh }, tx)).rejected);
      if (!exhausted) throw new Error(`${handler.name}: applyStream returned before reading every event`);
    } else if (!isolate) {
      rejected.push(...(await handler.apply([...decodeFresh()], tx)).rejected);
    } else {
      for (const event of [...decodeFresh()]) {
        await tx.query('SAVEPOINT one_event');
        const mark = tx.undoMark;
        try {
          rejected.push(...(await handler.apply([event], tx)).rejected);
          await tx.query('RELEASE SAVEPOINT one_event');
        } catch (error) {
          if (!isDeterministicDbError(error)) throw error;
          await tx.query('ROLLBACK TO SAVEPOINT one_event');
          tx.rollBackTo(mark);
          rejected.push({ event, reason: 'unprocessable', detail: error instanceof Error ? error.message : String(error) });
        }
      }
    }
    if (rejected.length > 0) {
      // An event's record, by its offset (only for rejects: events are not kept for this).
      const byOffset = new Map(fresh.map((r) => [r.offset, r]));
      for (const r of rejected) deadLetters.push({ record: byOffset.get(r.event.metadata.position!.offset)!, event: r.event, reason: r.reason, detail: r.detail });
    }

    if (deadLetters.length > 0) await this.deadLetter(tx, topic, partition, deadLetters);
    const last = fresh[fresh.length - 1]!.offset;
    await tx.query(`UPDATE ${this.quoted}.checkpoints SET "offset" = $4 WHERE consumer = $1 AND topic = $2 AND partition = $3`, [
      handler.name, topic, partition, last,
    ]);
    processed.inc({ consumer: handler.name, topic, outcome: 'applied' }, decoded - rejected.length);
    this.appliedCount += decoded - rejected.length;
    if (skipped > 0) processed.inc({ consumer: handler.name, topic, outcome: 'skipped' }, skipped);
    if (records.length > fresh.length) processed.inc({ consumer: handler.name, topic, outcome: 'redelivered' }, records.length - fresh.length);
    return fresh.length;
  }

  private async deadLetter(tx: ProjectionTx, topic: string, partition: number, letters: DeadLetter[]): Promise<void> {
    const { handler, publisher, topics, logger } = this.options;
    const rows = letters.map((l) => {
      const value = l.record.value;
      const text = value === null ? '' : typeof value === 'string' ? value : value.toString('utf8');
      const payload = value === null || typeof value === 'string' || Buffer.from(text, 'utf8').equals(value) ? text : `base64:${value.toString('base64')}`;
      let loose: Record<string, unknown> = {};
      try {
        const parsed: unknown = JSON.parse(text);
        if (parsed !== null && typeof parsed === 'object') loose = parsed as Record<string, unknown>;
      } catch {
        // not JSON: the payload still goes to the dead letter as text
      }
      const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
      return {
        consumer: handler.name,
        topic,
        partition,
        offset: l.record.offset,
        tenantId: l.event?.metadata.tenantId ?? str(loose.tenantId),
        eventId: l.event?.metadata.eventId ?? str(loose.eventId),
        eventType: l.event?.type ?? str(loose.type),
        reason: l.reason,
        detail: l.detail,
        payload,
        receivedAt: l.event?.metadata.receivedAt ?? null,
      };
    });
    // The topic first: if the commit then fails, the batch is redone and the dead letter is sent again
    // (the table's primary key keeps one row); the other order could lose it.
    await publisher.publishRecords(
      rows.map((r) => ({
        topic: topics.name('dead-letter'),
        message: {
          key: `${r.topic}:${r.partition}:${r.offset}`,
          value: JSON.stringify(r),
          headers: { 'rs-consumer': r.consumer, 'rs-reason': r.reason },
        },
      })),
    );
    await tx.query(
      `INSERT INTO ${this.quoted}.dead_letters (consumer, topic, partition, "offset", tenant_id, event_id, event_type, reason, detail, payload, received_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::timestamptz[])
       ON CONFLICT DO NOTHING`,
      [
        rows.map((r) => r.consumer), rows.map((r) => r.topic), rows.map((r) => r.partition), rows.map((r) => r.offset),
        rows.map((r) => r.tenantId), rows.map((r) => r.eventId), rows.map((r) => r.eventType), rows.map((r) => r.reason),
        rows.map((r) => r.detail), rows.map((r) => r.payload), rows.map((r) => r.receivedAt),
      ],
    );
    for (const r of rows) deadLettered.inc({ consumer: r.consumer, topic, reason: r.reason });
    logger.warn({ projection: handler.name, topic, partition, deadLetters: rows.map(({ offset, reason, detail }) => ({ offset, reason, detail })) }, 'events dead-lettered');
  }
}
