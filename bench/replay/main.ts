import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { SingleBar } from 'cli-progress';
import { Command } from 'commander';
import type { Kafka } from 'kafkajs';
import { Client } from 'pg';
import { Topics } from '@revstream/events';
import { createKafka, ensureTopics, EventPublisher } from '@revstream/kafka';
import { createLogger } from '@revstream/observability';
import { createSchemaDataSource, dropDatabase, ensureDatabase, runMigrations, schemaChecksums } from '@revstream/persistence';
import { DEFAULT_REPLAY_BATCH, DEFAULT_REPLAY_BULK_MAX, eachPartition, lastOffsets, ProjectionRunner, readRange, replayProjectionApp, type ReplayPhase, topicsOf } from '@revstream/projections';
import { meteringApp } from '../../apps/metering/src/metering.app';
import { workload } from '../metering/workload';
import { hostCpuTicks, processCpuTicks, stealShare } from '../shared/proc';
import { type BenchFigure, type BenchReport, machineDescription, today, writeReport } from '../shared/results';
import { runToExit } from '../shared/run-to-exit';

/**
 * `npm run bench:replay`: rebuilds the metering read models from a preloaded log of one million
 * usage events (the metering benchmark's workload, seeded) with `replayProjectionApp`, the code
 * behind `npm run cli -- replay`, into a database with no live schema, and reports events/s of the
 * rebuild. In the same run it measures what bounds it: how fast the same partition reader reads the
 * same records with nothing to do. With `--live`, it also projects the same log with the live
 * ProjectionRunner into another database and compares every table (byte-identical, at 1M events).
 * Writes bench/results/replay-<date>.md and .json. To profile it: `node --cpu-prof dist/bench/replay/main.js`.
 */
export interface ReplayOptions {
  events: number;
  customers: number;
  partitions: number;
  seed: number;
  reuse?: string;
  keep: boolean;
  live: boolean;
  batch: number;
  concurrency: number;
  /** Records rebuilt in bulk at most (`--bulk-max`; 0: every record the live way). */
  bulkMax: number;
  /** Write bench/results/replay-<date>.{md,json} (default true). */
  write?: boolean;
}

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const uptime = (): string => execFileSync('uptime', { encoding: 'utf8' }).trim();

/**
 * CPU used by the database's backends (Linux, same host), sampled every 500 ms from /proc: pools
 * close idle connections and open new ones, so one sample at each end would miss backends that came
 * and went. Backends first seen after the start count from zero.
 */
function postgresCpu(url: string): { start: () => Promise<void>; stop: () => Promise<number> } {
  const client = new Client({ connectionString: url });
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  let baseline = true;
  let timer: NodeJS.Timeout | undefined;
  const sample = async (): Promise<void> => {
    const { rows } = await client.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`);
    for (const { pid } of rows) {
      const ticks = processCpuTicks(pid);
      if (ticks === null) continue; // not on this host, or gone
      if (!first.has(pid)) first.set(pid, baseline ? ticks : 0);
      last.set(pid, ticks);
    }
  };
  let sampling = Promise.resolve();
  return {
    start: async () => {
      await client.connect();
      await sample();
      baseline = false;
      timer = setInterval(() => void (sampling = sampling.then(sample).catch(() => undefined)), 500);
    },
    stop: async () => {
      clearInterval(timer);
      await sampling;
      await sample();
      await client.end();
      return [...last].reduce((sum, [pid, ticks]) => sum + ticks - (first.get(pid) ?? 0), 0) / 100;
    },
  };
}

async function preload(kafka: Kafka, topics: Topics, options: ReplayOptions): Promise<void> {
  const publisher = new EventPublisher(kafka, topics, { publishTimeoutMs: 60_000, maxRecordsPerRequest: 5_000, compression: 'none' });
  try {
    const w = workload({ events: options.events, customers: options.customers, seed: options.seed });
    await publisher.publish(w.setup);
    const bar = new SingleBar({ format: '  publish [{bar}] {percentage}% {value}/{total}', hideCursor: true });
    bar.start(options.events, 0);
    const chunk = 5_000;
    const inFlight: Array<Promise<void>> = [];
    for (let from = 0; from < options.events; from += chunk) {
      const to = Math.min(options.events, from + chunk);
      const sent = publisher.publish(w.usage(from, to)).then(() => void bar.increment(to - from));
      sent.catch(() => undefined); // awaited below
      inFlight.push(sent);
      if (inFlight.length >= 4) await inFlight.shift();
    }
    await Promise.all(inFlight);
    bar.stop();
  } finally {
    await publisher.disconnect();
  }
}

/** Projects the log with the live runner (the app's own path), for comparison: records/s and the schema built. */
async function projectLive(kafka: Kafka, topics: Topics, url: string, records: number): Promise<{ rate: number; nodeMicros: number }> {
  const logger = createLogger('bench-replay-live', 'warn');
  const publisher = new EventPublisher(kafka, topics, { publishTimeoutMs: 60_000, maxRecordsPerRequest: 5_000, compression: 'none' });
  const ds = createSchemaDataSource({ url, schema: meteringApp.schema, migrations: meteringApp.migrations, poolSize: 10 });
  await runMigrations(ds, url);
  const runner = new ProjectionRunner({ kafka, dataSource: ds, topics, handler: meteringApp.handlers[0]!, publisher, logger, concurrency: 6, maxRecordsPerTransaction: 5_000 });
  const { last } = await lastOffsets(kafka, runner.topicNames);
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  await runner.start();
  const bar = new SingleBar({ format: '  live    [{bar}] {percentage}% {value}/{total}', hideCursor: true });
  bar.start(records, 0);
  try {
    for (;;) {
      const rows = (await ds.query(`SELECT topic, partition, "offset"::text AS "offset" FROM metering.checkpoints`)) as Array<{ topic: string; partition: number; offset: string }>;
      const at = new Map(rows.map((r) => [`${r.topic}:${r.partition}`, BigInt(r.offset)]));
      bar.update(rows.reduce((n, r) => n + Number(r.offset) + 1, 0));
      if ([...eachPartition(last)].every((p) => (at.get(`${p.topic}:${p.partition}`) ?? -1n) >= p.offset)) break;
      await sleep(200);
    }
    const used = process.cpuUsage(cpu);
    return { rate: records / (Number(process.hrtime.bigint() - started) / 1e9), nodeMicros: (used.user + used.system) / records };
  } finally {
    bar.stop();
    await runner.stop();
    await ds.destroy();
    await publisher.disconnect();
  }
}

export interface ReplayResult {
  records: number;
  /** Events/s from the start until the rebuilt schema was swapped in. */
  eventsPerSecond: number;
  totalSeconds: number;
  /** The same partition reader reading the same records, doing nothing. */
  readRecordsPerSecond: number;
  report: BenchReport;
}

/** Preload (unless options.reuse), read alone, rebuild, optionally the live runner (see above). */
export async function run(options: ReplayOptions): Promise<ReplayResult> {
  const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
  const base = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/revstream');
  const suffix = randomBytes(3).toString('hex');
  const databaseUrl = (name: string): string => Object.assign(new URL(base), { pathname: `/rs_bench_replay_${suffix}_${name}` }).toString();
  const topics = new Topics(options.reuse ?? `bench_replay_${suffix}`);
  const kafka = createKafka({ brokers, clientId: 'bench-replay' });
  const logger = createLogger('bench-replay', 'warn');
  const topicNames = [...new Set(meteringApp.handlers.flatMap((h) => topicsOf(h.eventTypes)))].map((t) => topics.name(t));
  const uptimeAtStart = uptime();
  log(`uptime: ${uptimeAtStart}`);

  const rebuilt = databaseUrl('rebuild');
  const live = databaseUrl('live');
  const databases = [rebuilt, ...(options.live ? [live] : [])];
  try {
    await ensureTopics(kafka, topics, { partitions: options.partitions, replicationFactor: 1 });
    if (options.reuse) log(`reusing the log in ${topics.prefix}.*`);
    else {
      log(`preloading ${options.events.toLocaleString()} usage events (and the tenants' configuration) into ${topics.prefix}.* (${options.partitions} partitions)`);
      await preload(kafka, topics, options);
    }
    const { last } = await lastOffsets(kafka, topicNames);
    const records = [...eachPartition(last)].reduce((n, p) => n + Number(p.offset) + 1, 0);

    // 1. What bounds the rebuild: the same partition reader reading the same records, doing nothing with them.
    log(`reading ${records.toLocaleString()} records with the partition reader alone`);
    let read = 0;
    const readCpu = process.cpuUsage();
    const readStarted = process.hrtime.bigint();
    await readRange({ kafka, from: new Map(), to: last, onRecords: async (_t, _p, batch) => void (read += batch.length) });
    const readRate = read / (Number(process.hrtime.bigint() - readStarted) / 1e9);
    const readCpuUsed = process.cpuUsage(readCpu);
    const readMicros = (readCpuUsed.user + readCpuUsed.system) / read;
    log(`  ${Math.round(readRate).toLocaleString()} records/s, cpu ${readMicros.toFixed(1)} µs/record`);

    // 2. The rebuild, as `npm run cli -- replay metering` runs it (no live schema: it is swapped in as the live one).
    await ensureDatabase(rebuilt);
    log(`rebuilding metering from ${records.toLocaleString()} records`);
    const bar = new SingleBar({ format: '  replay  [{bar}] {percentage}% {value}/{total} {phase}', hideCursor: true });
    bar.start(records, 0, { phase: 'rebuild' });
    const phases = new Map<ReplayPhase, bigint>();
    let cpuAtRebuild: NodeJS.CpuUsage | undefined;
    // The main thread alone (JavaScript runs there; Kafka fetching runs on a thread of its own).
    const mainTicks = (): number => processCpuTicks(process.pid, process.pid) ?? NaN;
    let mainAtRebuild = NaN;
    let mainRebuild = NaN;
    let cpuRebuild: NodeJS.CpuUsage | undefined;
    // How much of the machine a hypervisor gave to other guests meanwhile: on a shared host, the figure moves with it.
    let hostAtRebuild: ReturnType<typeof hostCpuTicks> = null;
    let steal = Number.NaN;
    const pg = postgresCpu(rebuilt);
    let pgStarted: Promise<void> | undefined;
    let pgSeconds: Promise<number> | undefined;
    const publisher = new EventPublisher(kafka, topics, { publishTimeoutMs: 60_000, maxRecordsPerRequest: 5_000, compression: 'none' });
    const started = process.hrtime.bigint();
    const result = await replayProjectionApp({
      app: meteringApp,
      databaseUrl: rebuilt,
      kafka,
      topics,
      publisher,
      logger,
      concurrency: options.concurrency,
      maxRecordsPerTransaction: options.batch,
      bulkMaxRecords: options.bulkMax,
      onProgress: (p) => {
        if (!phases.has(p.phase)) {
          phases.set(p.phase, process.hrtime.bigint());
          if (p.phase === 'rebuild') {
            cpuAtRebuild = process.cpuUsage();
            mainAtRebuild = mainTicks();
            hostAtRebuild = hostCpuTicks();
            pgStarted = pg.start();
          } else if (p.phase === 'swap') {
            cpuRebuild = process.cpuUsage(cpuAtRebuild);
            mainRebuild = mainTicks() - mainAtRebuild;
            steal = stealShare(hostAtRebuild, hostCpuTicks());
            pgSeconds = pgStarted!.then(() => pg.stop());
          }
        }
        bar.update(p.done, { phase: p.phase });
      },
    });
    const finished = process.hrtime.bigint();
    bar.stop();
    await publisher.disconnect();
    const rebuildSeconds = Number((phases.get('catch-up') ?? finished) - (phases.get('rebuild') ?? started)) / 1e9;
    const totalSeconds = Number(finished - started) / 1e9;
    // From the start to the rebuilt schema being live: reading, applying, making the tables logged, the swap.
    const rate = records / totalSeconds;
    const postgresCpuSeconds = (await pgSeconds) ?? NaN;
    const nodeMicros = cpuRebuild ? (cpuRebuild.user + cpuRebuild.system) / records : NaN;
    const postgresMicros = (postgresCpuSeconds * 1e6) / records;
    const mainMicros = (mainRebuild * 1e4) / records;
    log(
      `  rebuilt at ${Math.round(rate).toLocaleString()} events/s (${totalSeconds.toFixed(1)} s until swapped in; ${rebuildSeconds.toFixed(1)} s applying); ` +
        `cpu node ${nodeMicros.toFixed(1)} µs/event (main thread ${mainMicros.toFixed(1)}), postgres ${postgresMicros.toFixed(1)} µs/event; ` +
        `steal ${(steal * 100).toFixed(0)} % (the machine's CPU time a hypervisor gave to other guests)`,
    );

    const counts = await (async () => {
      const client = new Client({ connectionString: rebuilt });
      await client.connect();
      try {
        const tables = ['usage_ledger', 'usage', 'charges', 'adjustments', 'dead_letters'];
        const out: Record<string, number> = {};
        for (const t of tables) out[t] = Number((await client.query(`SELECT count(*) FROM metering.${t}`)).rows[0].count);
        return out;
      } finally {
        await client.end();
      }
    })();

    // 3. Optionally, the live runner on the same log, and every table compared.
    const figures: BenchFigure[] = [];
    let identical: boolean | undefined;
    if (options.live) {
      await ensureDatabase(live);
      log(`projecting the same log with the live runner, for comparison`);
      const { rate: liveRate, nodeMicros: liveMicros } = await projectLive(kafka, topics, live, records);
      const sums = async (url: string): Promise<string> => {
        const client = new Client({ connectionString: url });
        await client.connect();
        try {
          const tables = [...meteringTables, 'checkpoints', 'dead_letters', 'processed_keys', 'documents'];
          return JSON.stringify(await schemaChecksums({ query: async (sql: string) => (await client.query(sql)).rows }, 'metering', tables));
        } finally {
          await client.end();
        }
      };
      identical = (await sums(live)) === (await sums(rebuilt));
      log(`  live ${Math.round(liveRate).toLocaleString()} events/s, cpu node ${liveMicros.toFixed(1)} µs/event; every table identical to the rebuild: ${identical}`);
      figures.push({ stage: 'live', metric: 'the same log projected by the live ProjectionRunner (concurrency 6, 5,000 per transaction)', value: Math.round(liveRate), unit: 'events/s', notes: `Node CPU ${liveMicros.toFixed(1)} µs/event; every table identical to the rebuild: ${identical}` });
    }

    const report: BenchReport = {
      title: 'Replay: the metering read models rebuilt from the topics',
      date: new Date().toISOString(),
      machine: `${machineDescription()}; uptime at start: ${uptimeAtStart}`,
      command: `npm run bench:replay${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      figures: [
        {
          stage: 'replay',
          metric: 'events rebuilt (partition reader → metering handler → shadow schema, checkpoints in the same transactions)',
          value: Math.round(rate),
          unit: 'events/s',
          target: '≥ 50,000 events/s',
          limit: { name: 'the same partition reader reading the same records, doing nothing', value: Math.round(readRate), unit: 'records/s' },
          ratio: rate / readRate,
          notes: `${totalSeconds.toFixed(1)} s for ${records.toLocaleString('en-US')} records, from the start until the rebuilt schema was swapped in (${rebuildSeconds.toFixed(1)} s of it applying); target ${rate >= 50_000 ? 'met' : 'NOT met'}`,
        },
        { stage: 'replay', metric: 'CPU per event until the swap, the replay (Node, every thread)', value: Number(nodeMicros.toFixed(1)), unit: 'µs' },
        { stage: 'replay', metric: 'CPU per event until the swap, the replay\'s main thread (where the handlers run)', value: Number(mainMicros.toFixed(1)), unit: 'µs' },
        { stage: 'replay', metric: 'CPU per event until the swap, its Postgres backends', value: Number(postgresMicros.toFixed(1)), unit: 'µs' },
        {
          stage: 'replay',
          metric: 'ceiling if the rebuild had every core to itself (cores × 1 s ÷ CPU per event, Node + Postgres)',
          value: Math.round((cpus().length * 1e6) / (nodeMicros + postgresMicros)),
          unit: 'events/s',
          notes: 'what the CPU the rebuild spends per event allows on this machine, whatever else runs on it',
        },
        {
          stage: 'replay',
          metric: 'steal until the swap: the share of the machine\'s CPU time a hypervisor gave to other guests',
          value: Number((steal * 100).toFixed(1)),
          unit: '%',
          notes: 'from /proc/stat; on a shared host the throughput falls as it rises',
        },
        { stage: 'kafka', metric: 'CPU per record, the partition reader alone (Node)', value: Number(readMicros.toFixed(1)), unit: 'µs' },
        ...figures,
      ],
      details: {
        workload: 'bench/metering/workload.ts: 85% Revnu usage, 10% Revenium, 5% Revenue Linter gauges; 0.5% client retries; 0.2% arriving 40 days late; Zipf-like customers over 5 tenants; configuration (products, prices, subscriptions) first',
        options,
        records,
        stored: counts,
        phases: Object.fromEntries([...phases].map(([phase, at]) => [phase, Number((Number(at - started) / 1e9).toFixed(2))])),
        ...(identical === undefined ? {} : { identicalToLive: identical }),
        uptimeAtEnd: uptime(),
        replay: { records: result.records, swapped: result.swapped },
      },
    };
    if (options.write !== false) log(`written to ${writeReport(`replay-${today()}`, report)}`);
    log(`uptime: ${uptime()}`);
    return { records, eventsPerSecond: rate, totalSeconds, readRecordsPerSecond: readRate, report };
  } finally {
    if (!options.keep) {
      for (const url of databases) await dropDatabase(url).catch(() => undefined);
      if (!options.reuse) {
        const admin = kafka.admin();
        await admin.connect();
        await admin.deleteTopics({ topics: topics.all, timeout: 60_000 }).catch(() => undefined);
        await admin.disconnect();
      }
    } else log(`kept ${databases.join(', ')} and topics ${topics.prefix}.*`);
  }
}

const meteringTables = ['usage_ledger', 'usage', 'charges', 'adjustments', 'meters', 'metering_elements', 'meter_prices', 'subscriptions'];

if (require.main === module) {
  void new Command('bench-replay')
    .description('rebuild the metering read models from a preloaded log of usage events with replayProjectionApp, and report events/s')
    .option('--events <n>', 'usage events to preload', (v) => Number(v), 1_000_000)
    .option('--customers <n>', 'customers across the tenants', (v) => Number(v), 20_000)
    .option('--partitions <n>', 'partitions per topic', (v) => Number(v), 6)
    .option('--seed <n>', 'workload seed', (v) => Number(v), 42)
    .option('--batch <n>', 'records per rebuild transaction at most', (v) => Number(v), DEFAULT_REPLAY_BATCH)
    .option('--concurrency <n>', 'partitions rebuilt at once', (v) => Number(v), 4)
    .option('--bulk-max <n>', 'records rebuilt in bulk at most (0: none, every record the live way)', (v) => Number(v), DEFAULT_REPLAY_BULK_MAX)
    .option('--reuse <prefix>', 'replay the log already in <prefix>.* (kept by an earlier --keep run) instead of preloading one')
    .option('--keep', 'keep the databases and topics afterwards', false)
    .option('--live', 'also project the same log with the live runner, and compare every table', false)
    .action((options: ReplayOptions) => runToExit('bench:replay', run(options)))
    .parse(process.argv);
}
