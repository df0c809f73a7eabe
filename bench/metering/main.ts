import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { SingleBar } from 'cli-progress';
import { Command } from 'commander';
import type { Kafka } from 'kafkajs';
import { Topics } from '@revstream/events';
import { createKafka, ensureTopics, EventPublisher } from '@revstream/kafka';
import { createLogger } from '@revstream/observability';
import { createSchemaDataSource, dropDatabase, ensureDatabase, runMigrations } from '@revstream/persistence';
import { ProjectionRunner } from '@revstream/projections';
import { meteringApp } from '../../apps/metering/src/metering.app';
import { meteringHandler } from '../../apps/metering/src/metering.projection';
import { projectRoot } from '../../tools/shared/project-root';
import { processCpuTicks } from '../shared/proc';
import { type BenchReport, machineDescription, today, writeReport } from '../shared/results';
import { rawInsertRate, type RawInsertResult } from './raw-insert';
import { workload } from './workload';
import { startCpuProfiler } from '../shared/cpu-profiler';
import { runToExit } from '../shared/run-to-exit';

/**
 * `npm run bench:metering`: preloads the usage topics with a realistic stream (default one million
 * events), then measures how fast the metering projection aggregates it through the ProjectionRunner
 * (Kafka -> fold -> Postgres, checkpoints in the same transactions), and, in the same run, how fast
 * Postgres inserts the same ledger rows with nothing else to do. Writes bench/results/metering-<date>.md and .json.
 */
export interface MeteringOptions {
  events: number;
  customers: number;
  partitions: number;
  batch: number;
  concurrency: number;
  /** Bytes fetched per partition per request (the runner's maxBytesPerPartition; its default when absent). */
  fetchBytes?: number;
  seed: number;
  keep: boolean;
  profile: boolean;
  /** Write bench/results/metering-<date>.{md,json} (default true). */
  write?: boolean;
}

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface MeteringResult {
  records: number;
  eventsPerSecond: number;
  /** Postgres's raw insert rate of the same ledger rows, as events/s. */
  rawEventsPerSecond: number;
  rawMethod: 'unnest' | 'copy';
  ratio: number;
  report: BenchReport;
}

/** Setup, preload, aggregate, raw insert (see above). */
export async function run(options: MeteringOptions): Promise<MeteringResult> {
  const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
  const base = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/revstream');
  const suffix = randomBytes(3).toString('hex');
  base.pathname = `/rs_bench_metering_${suffix}`;
  const url = base.toString();
  const topics = new Topics(`bench_metering_${suffix}`);
  const kafka = createKafka({ brokers, clientId: 'bench-metering' });
  const logger = createLogger('bench-metering', 'warn');
  const load = loadavg().map((l) => l.toFixed(2)).join(' ');

  await ensureDatabase(url);
  await ensureTopics(kafka, topics, { partitions: options.partitions, replicationFactor: 1 });
  const publisher = new EventPublisher(kafka, topics, { publishTimeoutMs: 60_000, maxRecordsPerRequest: 5_000, compression: 'none' });
  const ds = createSchemaDataSource({ url, schema: meteringApp.schema, migrations: meteringApp.migrations, poolSize: options.concurrency + 4 });
  await runMigrations(ds, url);

  try {
    const handler = meteringHandler();
    const newRunner = (): ProjectionRunner =>
      new ProjectionRunner({ kafka, dataSource: ds, topics, handler, publisher, logger, concurrency: options.concurrency, maxRecordsPerTransaction: options.batch, maxBytesPerPartition: options.fetchBytes });
    const topicNames = newRunner().topicNames;
    const checkpoints = async (): Promise<Map<string, bigint>> => {
      const rows = (await ds.query(`SELECT topic, partition, "offset"::text AS "offset" FROM metering.checkpoints WHERE consumer = $1`, [handler.name])) as Array<{
        topic: string;
        partition: number;
        offset: string;
      }>;
      return new Map(rows.map((r) => [`${r.topic}:${r.partition}`, BigInt(r.offset)]));
    };
    const caughtUp = (at: Map<string, bigint>, ends: Map<string, bigint>): boolean => [...ends].every(([k, end]) => (at.get(k) ?? -1n) >= end);
    const applied = (at: Map<string, bigint>): number => [...at.values()].reduce((sum, o) => sum + Number(o) + 1, 0);

    // 1. The tenants' configuration first: products, prices, and subscriptions for a tenth of the
    //    customers. Applied before the measurement, as in steady operation, where usage streams in
    //    against configuration that already exists (a subscription arriving after its usage is
    //    correct, and covered by the tests, but it is not the steady state).
    const w = workload({ events: options.events, customers: options.customers, seed: options.seed });
    log(`applying ${w.setup.length.toLocaleString()} configuration events (products, prices, subscriptions) into ${topics.prefix}.* (${options.partitions} partitions)`);
    await publisher.publish(w.setup);
    const setupEnds = await endOffsets(kafka, topicNames);
    const setupRunner = newRunner();
    await setupRunner.start();
    while (!caughtUp(await checkpoints(), setupEnds.ends)) await sleep(100);
    await setupRunner.stop();

    // 2. Preload the usage.
    log(`preloading ${options.events.toLocaleString()} usage events`);
    const bar = new SingleBar({ format: '  publish [{bar}] {percentage}% {value}/{total}', hideCursor: true });
    bar.start(options.events, 0);
    // Chunks of 5,000 keep each partition's record batch under the broker's 1 MB message limit; a
    // few chunks wait in the publisher's queue while one request is in flight.
    const chunk = 5_000;
    const inFlight: Array<Promise<void>> = [];
    for (let from = 0; from < options.events; from += chunk) {
      const to = Math.min(options.events, from + chunk);
      const sent = publisher.publish(w.usage(from, to)).then(() => void bar.increment(to - from));
      sent.catch(() => undefined); // awaited below; this only keeps an early failure from being unhandled
      inFlight.push(sent);
      if (inFlight.length >= 4) await inFlight.shift();
    }
    await Promise.all(inFlight);
    bar.stop();

    // 3. Aggregate it through the ProjectionRunner: a new instance resumes from the checkpoints.
    const { ends, records: total } = await endOffsets(kafka, topicNames);
    const base = applied(await checkpoints());
    const records = total - base;
    log(`aggregating ${records.toLocaleString()} usage records with the metering handler (at most ${options.batch} per transaction, ${options.concurrency} partitions at once)`);
    const runner = newRunner();
    const started = process.hrtime.bigint();
    const nodeCpuBefore = process.cpuUsage();
    const postgresCpuBefore = await backendCpuTicks(ds, url);
    const profiler = options.profile ? await startCpuProfiler() : undefined;
    await runner.start();
    let firstCheckpoint: bigint | undefined;
    const progress = new SingleBar({ format: '  project [{bar}] {percentage}% {value}/{total}', hideCursor: true });
    progress.start(records, 0);
    for (;;) {
      const at = await checkpoints();
      const done = applied(at) - base;
      if (done > 0 && firstCheckpoint === undefined) firstCheckpoint = process.hrtime.bigint();
      progress.update(done);
      if (caughtUp(at, ends)) break;
      await sleep(100);
    }
    const done = process.hrtime.bigint();
    const nodeCpu = process.cpuUsage(nodeCpuBefore);
    if (profiler) {
      const dir = join(projectRoot(), 'bench', 'results', 'tmp');
      mkdirSync(dir, { recursive: true });
      log(`cpu profile of the aggregation: ${await profiler.stop(join(dir, `metering-${Date.now()}.cpuprofile`))}`);
    }
    const postgresCpuAfter = await backendCpuTicks(ds, url);
    const postgresCpuSeconds = [...postgresCpuAfter].reduce((sum, [pid, ticks]) => sum + ticks - (postgresCpuBefore.get(pid) ?? 0), 0) / 100;
    progress.stop();
    await runner.stop();
    log(`cpu: node ${((nodeCpu.user + nodeCpu.system) / records).toFixed(1)} us/event, postgres ${((postgresCpuSeconds * 1e6) / records).toFixed(1)} us/event`);
    const totalSeconds = Number(done - started) / 1e9;
    const steadySeconds = Number(done - (firstCheckpoint ?? started)) / 1e9;

    const [counts] = (await ds.query(
      `SELECT (SELECT count(*) FROM metering.usage_ledger)::int AS ledger, (SELECT count(*) FROM metering.usage)::int AS periods,
              (SELECT count(*) FROM metering.charges WHERE amount IS NOT NULL)::int AS charged, (SELECT count(*) FROM metering.adjustments)::int AS adjustments,
              (SELECT count(*) FROM metering.dead_letters)::int AS dead_letters`,
    )) as Array<{ ledger: number; periods: number; charged: number; adjustments: number; dead_letters: number }>;

    // 3. Postgres's raw insert rate for the same rows.
    log(`raw insert of the same ${counts!.ledger.toLocaleString()} ledger rows (batches of ${options.batch})`);
    const raw: RawInsertResult[] = [];
    for (const method of ['unnest', 'copy'] as const) raw.push(await rawInsertRate(url, meteringApp.schema, options.batch, method));

    const eventsPerSecond = records / steadySeconds;
    const rowsPerEvent = counts!.ledger / records;
    const best = raw.reduce((x, y) => (y.rowsPerSecond > x.rowsPerSecond ? y : x));
    const rawEventsPerSecond = best.rowsPerSecond / rowsPerEvent;
    const ratio = eventsPerSecond / rawEventsPerSecond;
    const nodeMicros = (nodeCpu.user + nodeCpu.system) / records;
    const postgresMicros = (postgresCpuSeconds * 1e6) / records;
    const method = (m: string): string => (m === 'unnest' ? 'INSERT … SELECT unnest(…) ON CONFLICT DO NOTHING' : 'COPY … FROM STDIN');
    const report: BenchReport = {
      title: 'Metering: usage events aggregated through the ProjectionRunner',
      date: new Date().toISOString(),
      machine: `${machineDescription()}; load average at start ${load} (other work shares the machine)`,
      command: `npm run bench:metering${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      figures: [
        {
          stage: 'metering',
          metric: 'usage events aggregated (Kafka → fold → Postgres, checkpoint in the same transaction)',
          value: Math.round(eventsPerSecond),
          unit: 'events/s',
          target: '≥ 50,000 events/s',
          limit: { name: `Postgres raw ${best.method} of the same ledger rows, in events/s`, value: Math.round(rawEventsPerSecond), unit: 'events/s' },
          ratio,
          notes: `${steadySeconds.toFixed(1)} s from the first committed batch (${totalSeconds.toFixed(1)} s with the group join); target ${eventsPerSecond >= 50_000 ? 'met' : 'NOT met'}`,
        },
        { stage: 'metering', metric: 'CPU per usage event, the runner (Node)', value: Number(nodeMicros.toFixed(1)), unit: 'µs' },
        { stage: 'metering', metric: 'CPU per usage event, its Postgres backends', value: Number(postgresMicros.toFixed(1)), unit: 'µs' },
        ...raw.map((r) => ({ stage: 'postgres', metric: `raw ${method(r.method)}, same ${r.rows.toLocaleString('en-US')} rows, batches of ${options.batch}`, value: Math.round(r.rowsPerSecond), unit: 'rows/s' })),
      ],
      details: {
        workload:
          '85% Revnu usage (3 meters), 10% Revenium (1–3 payload keys), 5% Revenue Linter usage/limit gauges; 0.5% client retries; 0.2% arriving 40 days late; ' +
          'Zipf-like customers over 5 tenants; 60 days of event time; products, Valued prices and subscriptions for a tenth of the customers applied before the measurement',
        options,
        usageRecords: records,
        stored: counts,
        ledgerRowsPerEvent: Number(rowsPerEvent.toFixed(3)),
        rawInsert: raw.map((r) => ({ ...r, seconds: Number(r.seconds.toFixed(2)), rowsPerSecond: Math.round(r.rowsPerSecond) })),
      },
    };
    const path = options.write === false ? 'nowhere (not written)' : writeReport(`metering-${today()}`, report);
    log(
      `aggregated ${Math.round(eventsPerSecond).toLocaleString()} events/s; raw ${best.method} insert ${Math.round(best.rowsPerSecond).toLocaleString()} rows/s ` +
        `(${Math.round(rawEventsPerSecond).toLocaleString()} events/s); ratio ${ratio.toFixed(3)}; target 50,000 events/s ${eventsPerSecond >= 50_000 ? 'met' : 'NOT met'}; written to ${path}`,
    );
    return { records, eventsPerSecond, rawEventsPerSecond, rawMethod: best.method, ratio, report };
  } finally {
    await publisher.disconnect().catch(() => undefined);
    await ds.destroy().catch(() => undefined);
    if (!options.keep) {
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteTopics({ topics: topics.all, timeout: 60_000 }).catch(() => undefined);
      await admin.disconnect();
      await dropDatabase(url);
    } else log(`kept database ${url} and topics ${topics.prefix}.*`);
  }
}

/** CPU clock ticks (1/100 s) each backend of the database has used, by pid, from /proc (Linux, same host). */
async function backendCpuTicks(ds: { query: (sql: string, params?: unknown[]) => Promise<unknown> }, url: string): Promise<Map<number, number>> {
  const database = new URL(url).pathname.slice(1);
  const pids = (await ds.query(`SELECT pid FROM pg_stat_activity WHERE datname = $1`, [database])) as Array<{ pid: number }>;
  const out = new Map<number, number>();
  for (const { pid } of pids) {
    const ticks = processCpuTicks(pid);
    if (ticks !== null) out.set(pid, ticks); // else not on this host, or gone
  }
  return out;
}

/** The last offset of every non-empty partition of the topics, and how many records they hold. */
async function endOffsets(kafka: Kafka, topicNames: readonly string[]): Promise<{ ends: Map<string, bigint>; records: number }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = new Map<string, bigint>();
    let records = 0;
    for (const topic of topicNames) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        if (BigInt(p.high) > 0n) {
          ends.set(`${topic}:${p.partition}`, BigInt(p.high) - 1n);
          records += Number(p.high);
        }
      }
    }
    return { ends, records };
  } finally {
    await admin.disconnect();
  }
}

if (require.main === module) {
  void new Command('bench-metering')
    .description('aggregate a preloaded usage stream through the metering projection, and compare with raw Postgres inserts')
    .option('--events <n>', 'usage events to preload', (v) => Number(v), 1_000_000)
    .option('--customers <n>', 'customers across the tenants', (v) => Number(v), 20_000)
    .option('--partitions <n>', 'partitions per topic', (v) => Number(v), 6)
    .option('--batch <n>', 'records per projection transaction at most (CONSUMER_MAX_BATCH; the metering app runs with 20,000)', (v) => Number(v), 20_000)
    .option('--concurrency <n>', 'partitions projected at once (CONSUMER_CONCURRENCY)', (v) => Number(v), 6)
    .option('--fetch-bytes <n>', 'bytes fetched per partition per request (CONSUMER_FETCH_BYTES; the metering app fetches 8 MiB)', (v) => Number(v), 8 * 1024 * 1024)
    .option('--seed <n>', 'workload seed', (v) => Number(v), 42)
    .option('--keep', 'keep the database and topics afterwards', false)
    .option('--profile', 'write a V8 CPU profile of the aggregation to bench/results/tmp/', false)
    .action((options: MeteringOptions) => runToExit('bench:metering', run(options)))
    .parse(process.argv);
}
