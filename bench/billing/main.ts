import 'reflect-metadata';
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import type { DataSource } from 'typeorm';
import { DEFAULT_DATABASE_URL, DEFAULT_KAFKA_BROKERS } from '@revstream/config';
import { type Envelope, Topics } from '@revstream/events';
import { createKafka, ensureTopics, EventPublisher } from '@revstream/kafka';
import { createLogger } from '@revstream/observability';
import { createSchemaDataSource, dropDatabase, ensureDatabase, quoteIdent, runMigrations } from '@revstream/persistence';
import { DEFAULT_DOCUMENT_CACHE_SIZE, documentProjectionHandler, ProjectionRunner } from '@revstream/projections';
import { BILLING_MIGRATIONS } from '../../apps/billing/src/billing.app';
import { billingProjection } from '../../apps/billing/src/billing.projection';
import { BILLING_TABLE_NAMES, billingReadModel } from '../../apps/billing/src/billing.read-model';
import { billingWorkload } from '../../apps/billing/src/testing/billing-workload';
import { projectRoot } from '../../tools/shared/project-root';
import { pipelineApp } from '../../tools/start/pipeline-apps';
import { freePort } from '@revstream/testing';
import { processCpuTicks } from '../shared/proc';
import { runToExit } from '../shared/run-to-exit';

/** The billing app as `npm start` runs it: its Node flags and its batch settings. */
const BILLING_APP = pipelineApp('billing');
export const DEPLOYED_BATCH = Number(BILLING_APP.env?.CONSUMER_MAX_BATCH ?? 5_000);
export const DEPLOYED_FETCH_BYTES = Number(BILLING_APP.env?.CONSUMER_FETCH_BYTES ?? 2 * 1024 * 1024);

/**
 * npm run bench:billing — events/s the billing projection achieves through ProjectionRunner from a
 * preloaded topic, against Postgres's own bulk-insert rate for the same rows, in the same run.
 *
 *  1. preload: a fresh topic prefix gets the billing workload (apps/billing/src/testing/billing-workload.ts);
 *  2. project: `--instances N` billing app processes as `npm start` runs the app (its Node flags and
 *     settings) in one consumer group, from offset 0 until every partition is checkpointed at its
 *     end; events/s = events / wall time from their spawn, boot included. The default is two, one
 *     per core of the 2-core machine the figures are taken on: the scale-out the issue asks for (a
 *     Node process uses one core). `--instances 1` is the app alone, as `npm start` runs it;
 *     `--instances 0` a ProjectionRunner in this process (with `--document-cache`);
 *  3. baseline: every row the projection left (read models, documents, processed_keys, checkpoints)
 *     is bulk-inserted with INSERT … SELECT FROM unnest(…) into an empty copy of the schema, in
 *     batches of the same size; events/s equivalent = events / that time. The ratio compares the two.
 */
const program = new Command()
  .name('bench:billing')
  .option('--events <n>', 'events to preload (at least 1,000,000 for a reportable figure)', (v) => Number(v), 1_000_000)
  .option('--tenants <n>', 'tenants', (v) => Number(v), 5)
  .option('--events-per-customer <n>', 'events per customer', (v) => Number(v), 10)
  .option('--partitions <n>', 'partitions per topic', (v) => Number(v), 6)
  .option('--concurrency <n>', 'partitions projected at once (CONSUMER_CONCURRENCY)', (v) => Number(v), 3)
  .option('--batch <n>', 'records per transaction (CONSUMER_MAX_BATCH; default: as the billing app runs)', (v) => Number(v), DEPLOYED_BATCH)
  .option('--fetch-bytes <n>', 'bytes fetched per partition per request (CONSUMER_FETCH_BYTES; default: as the billing app runs)', (v) => Number(v), DEPLOYED_FETCH_BYTES)
  .option('--instances <n>', 'N billing app processes in one consumer group, as npm start runs the app (default 2: one per core; 1: the app alone, as npm start runs it); 0: a ProjectionRunner in this process (with --document-cache)', (v) => Number(v), 2)
  .option('--document-cache <n>', 'documents the handler keeps in memory (documentProjectionHandler cacheSize; 0 = off)', (v) => Number(v), DEFAULT_DOCUMENT_CACHE_SIZE)
  .option('--interleave <how>', 'round-robin (a time-ordered log: each batch touches many customers once) or customer (each life in one run)', 'round-robin')
  .option('--keep', 'keep the database and topics afterwards', false)
  .option('--no-write', 'do not write bench/results');

export interface BillingOptions {
  events: number;
  tenants: number;
  eventsPerCustomer: number;
  partitions: number;
  concurrency: number;
  batch: number;
  documentCache: number;
  /** 0: a ProjectionRunner in this process; N ≥ 1: N billing app processes (one consumer group). */
  instances?: number;
  /** Bytes fetched per partition per request; the runner's default (2 MiB) when absent. */
  fetchBytes?: number;
  interleave: 'round-robin' | 'customer';
  keep: boolean;
  write: boolean;
}

const log = (line: string): void => void process.stdout.write(`[bench:billing] ${line}\n`);
const seconds = (from: bigint): number => Number(process.hrtime.bigint() - from) / 1e9;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function preload(publisher: EventPublisher, options: BillingOptions): Promise<number> {
  const customersPerTenant = Math.ceil(options.events / options.tenants / options.eventsPerCustomer);
  const tenants = Array.from({ length: options.tenants }, (_, i) => `tn_bench_${i}`);
  let chunk: Envelope[] = [];
  let count = 0;
  const inFlight: Array<Promise<void>> = [];
  for (const envelope of billingWorkload({ tenants, customersPerTenant, eventsPerCustomer: options.eventsPerCustomer, idPrefix: 'b', interleave: options.interleave })) {
    chunk.push(envelope);
    if (chunk.length === 5_000) {
      inFlight.push(publisher.publish(chunk));
      count += chunk.length;
      chunk = [];
      if (inFlight.length >= 8) await inFlight.shift();
      if (count % 250_000 === 0) log(`preloaded ${count.toLocaleString('en-US')} events`);
    }
  }
  inFlight.push(publisher.publish(chunk));
  count += chunk.length;
  await Promise.all(inFlight);
  return count;
}

/**
 * CPU seconds (user + system) the Postgres backends serving this database have used, from /proc: a
 * figure the other load on a shared machine moves much less than wall time. Null when Postgres is not
 * local. Autovacuum, the WAL writer and the checkpointer are not counted.
 */
async function postgresCpuSeconds(ds: DataSource): Promise<number | null> {
  const rows = (await ds.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'`)) as Array<{ pid: number }>;
  let ticks = 0;
  for (const { pid } of rows) {
    const used = processCpuTicks(pid);
    if (used === null) return null;
    ticks += used;
  }
  return ticks / 100; // USER_HZ
}

/** CPU seconds (user + system) a process has used; null once it is gone. */
function processCpuSeconds(pid: number): number | null {
  const ticks = processCpuTicks(pid);
  return ticks === null ? null : ticks / 100;
}

/** One billing app process, as `npm start` runs it (tools/start/pipeline-apps.ts), on the bench's database and topics. */
async function startBillingApp(
  index: number,
  at: { brokers: string; url: string; topics: Topics; options: BillingOptions },
): Promise<ChildProcess> {
  const env = {
    ...process.env,
    ...BILLING_APP.env,
    KAFKA_BROKERS: at.brokers,
    DATABASE_URL: at.url,
    KAFKA_TOPIC_PREFIX: at.topics.prefix,
    KAFKA_PARTITIONS: String(at.options.partitions),
    CONSUMER_CONCURRENCY: String(at.options.concurrency),
    CONSUMER_MAX_BATCH: String(at.options.batch),
    CONSUMER_FETCH_BYTES: String(at.options.fetchBytes ?? DEPLOYED_FETCH_BYTES),
    [BILLING_APP.portVariable]: String(await freePort()),
    INSTANCE_ID: `bench-${index}`,
    LOG_LEVEL: 'warn',
  };
  return spawn(process.execPath, [...(BILLING_APP.nodeArgs ?? []), join(projectRoot(), 'dist', 'apps', BILLING_APP.entry)], { env, stdio: ['ignore', 'ignore', 'inherit'] });
}

async function stopApp(app: ChildProcess): Promise<void> {
  if (app.exitCode !== null || app.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => app.kill('SIGKILL'), 15_000);
    app.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    app.kill('SIGTERM');
  });
}

async function caughtUp(ds: DataSource, schema: string, ends: Map<string, bigint>): Promise<boolean> {
  const rows = (await ds.query(`SELECT topic, partition, "offset" FROM ${quoteIdent(schema)}.checkpoints`)) as Array<{ topic: string; partition: number; offset: string }>;
  const at = new Map(rows.map((r) => [`${r.topic}:${r.partition}`, BigInt(r.offset)]));
  for (const [tp, end] of ends) if ((at.get(tp) ?? -1n) !== end) return false;
  return true;
}

/** Postgres's own rate: the same rows, bulk-inserted with unnest in batches, into an empty copy of the schema. */
async function baseline(ds: DataSource, from: string, to: string, batch: number): Promise<{ rows: number; seconds: number; byTable: Record<string, number> }> {
  const tables = [...BILLING_TABLE_NAMES, 'documents', 'processed_keys', 'checkpoints'];
  const data: Array<{ table: string; columns: Array<{ name: string; type: string }>; rows: Array<Array<string | null>> }> = [];
  for (const table of tables) {
    const columns = (await ds.query(
      `SELECT column_name AS name, format_type(a.atttypid, a.atttypmod) AS type
         FROM information_schema.columns c JOIN pg_attribute a ON a.attrelid = (quote_ident($1) || '.' || quote_ident($2))::regclass AND a.attname = c.column_name
        WHERE c.table_schema = $1 AND c.table_name = $2 ORDER BY c.ordinal_position`,
      [from, table],
    )) as Array<{ name: string; type: string }>;
    const rows = (await ds.query(`SELECT ${columns.map((c) => `${quoteIdent(c.name)}::text`).join(', ')} FROM ${quoteIdent(from)}.${quoteIdent(table)}`)) as Array<Record<string, string | null>>;
    data.push({ table, columns, rows: rows.map((r) => columns.map((c) => r[c.name] ?? null)) });
  }
  const byTable: Record<string, number> = {};
  let total = 0;
  const started = process.hrtime.bigint();
  for (const { table, columns, rows } of data) {
    const sql = `INSERT INTO ${quoteIdent(to)}.${quoteIdent(table)} (${columns.map((c) => quoteIdent(c.name)).join(', ')})
      SELECT ${columns.map((c, i) => `c${i}::${c.type}`).join(', ')} FROM unnest(${columns.map((_, i) => `$${i + 1}::text[]`).join(', ')}) AS u(${columns.map((_, i) => `c${i}`).join(', ')})`;
    for (let i = 0; i < rows.length; i += batch) {
      const slice = rows.slice(i, i + batch);
      await ds.query(sql, columns.map((_, ci) => slice.map((r) => r[ci])));
    }
    byTable[table] = rows.length;
    total += rows.length;
  }
  return { rows: total, seconds: seconds(started), byTable };
}

export interface BillingResult {
  events: number;
  preload: { seconds: number; eventsPerSecond: number };
  projection: { seconds: number; eventsPerSecond: number };
  baseline: { method: string; batch: number; rows: number; rowsByTable: Record<string, number>; seconds: number; rowsPerSecond: number; eventsPerSecondEquivalent: number };
  ratio: number;
  deadLetters: number;
  mrrMovements: number;
  target: { eventsPerSecond: number; met: boolean };
}

/** Preload, project, baseline (see above); writes bench/results/billing-<date>.* when options.write. */
export async function run(options: BillingOptions): Promise<BillingResult> {
  const brokers = process.env.KAFKA_BROKERS ?? DEFAULT_KAFKA_BROKERS;
  const base = new URL(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL);
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  base.pathname = `/rs_bench_billing_${stamp}`;
  const url = base.toString();
  const topics = new Topics(`bench_billing_${stamp}`);
  const kafka = createKafka({ brokers, clientId: 'bench-billing' });
  const logger = createLogger('bench', 'warn');

  await ensureDatabase(url);
  await ensureTopics(kafka, topics, { partitions: options.partitions, replicationFactor: 1 });
  const publisher = new EventPublisher(kafka, topics, { publishTimeoutMs: 120_000, maxRecordsPerRequest: 5_000, compression: 'none' });
  const ds = createSchemaDataSource({ url, schema: 'billing', migrations: BILLING_MIGRATIONS, poolSize: options.concurrency + 4 });
  const copy = createSchemaDataSource({ url, schema: 'billing_baseline', migrations: BILLING_MIGRATIONS, poolSize: 2 });
  let runner: ProjectionRunner | undefined;
  try {
    await runMigrations(ds, url);
    await runMigrations(copy, url);

    log(`preloading ${options.events.toLocaleString('en-US')} events into ${topics.prefix}.raw.{valued,pulsora} (${options.partitions} partitions)`);
    const preloadStart = process.hrtime.bigint();
    const events = await preload(publisher, options);
    const preloadSeconds = seconds(preloadStart);
    log(`preloaded ${events.toLocaleString('en-US')} events in ${preloadSeconds.toFixed(1)} s`);

    const admin = kafka.admin();
    await admin.connect();
    const ends = new Map<string, bigint>();
    for (const topic of [topics.raw('valued'), topics.raw('pulsora')]) {
      for (const p of await admin.fetchTopicOffsets(topic)) if (p.high !== p.low) ends.set(`${topic}:${p.partition}`, BigInt(p.high) - 1n);
    }
    await admin.disconnect();

    const instances = options.instances ?? 0;
    const apps: ChildProcess[] = [];
    if (instances === 0) {
      runner = new ProjectionRunner({
        kafka, dataSource: ds, topics, handler: documentProjectionHandler(billingProjection, billingReadModel, { cacheSize: options.documentCache }), publisher, logger,
        concurrency: options.concurrency, maxRecordsPerTransaction: options.batch, maxBytesPerPartition: options.fetchBytes,
      });
    }
    log(`projecting with ${instances === 0 ? 'a ProjectionRunner in this process' : `${instances} billing app process(es)`}, concurrency ${options.concurrency}, ${options.batch} records per transaction`);
    const projectStart = process.hrtime.bigint();
    const cpuStart = process.cpuUsage();
    const pgCpuStart = await postgresCpuSeconds(ds);
    if (runner !== undefined) await runner.start();
    for (let i = 0; i < instances; i++) apps.push(await startBillingApp(i, { brokers, url, topics, options }));
    const appCpu = new Map<number, number>();
    const applied = async (): Promise<number> => {
      if (runner !== undefined) return runner.appliedCount;
      const [row] = (await ds.query(`SELECT coalesce(sum("offset" + 1), 0)::bigint AS n FROM billing.checkpoints`)) as Array<{ n: string }>;
      return Number(row!.n);
    };
    let lastReport = 0;
    let pgCpuEnd: number | null = null;
    let projectSeconds = 0;
    try {
      while (!(await caughtUp(ds, 'billing', ends))) {
        const exited = apps.find((a) => a.exitCode !== null || a.signalCode !== null);
        if (exited !== undefined) throw new Error(`a billing app process exited (${exited.signalCode ?? `code ${exited.exitCode}`})`);
        await sleep(250);
        for (const app of apps) appCpu.set(app.pid!, processCpuSeconds(app.pid!) ?? appCpu.get(app.pid!) ?? 0);
        const elapsed = seconds(projectStart);
        if (elapsed - lastReport >= 10) {
          lastReport = elapsed;
          log(`${(await applied()).toLocaleString('en-US')} events applied after ${elapsed.toFixed(0)} s`);
        }
      }
      projectSeconds = seconds(projectStart);
      for (const app of apps) appCpu.set(app.pid!, processCpuSeconds(app.pid!) ?? appCpu.get(app.pid!) ?? 0);
      pgCpuEnd = await postgresCpuSeconds(ds); // before the apps stop and their backends go
    } finally {
      await Promise.all(apps.map(stopApp));
    }
    const cpu = process.cpuUsage(cpuStart);
    const cpuSeconds = instances === 0 ? (cpu.user + cpu.system) / 1e6 : [...appCpu.values()].reduce((a, b) => a + b, 0);
    const [loadAverage] = loadavg();
    const pgCpuSeconds = pgCpuStart === null || pgCpuEnd === null ? null : pgCpuEnd - pgCpuStart;
    await runner?.stop();
    runner = undefined;
    const eventsPerSecond = events / projectSeconds;
    log(`projected ${events.toLocaleString('en-US')} events in ${projectSeconds.toFixed(1)} s: ${Math.round(eventsPerSecond).toLocaleString('en-US')} events/s`);
    log(`${instances === 0 ? 'this process' : `the ${instances} app process(es)`} used ${cpuSeconds.toFixed(1)} s of CPU (${Math.round((cpuSeconds * 1e6) / events)} µs per event); load average ${loadAverage!.toFixed(2)}`);
    if (pgCpuSeconds !== null) log(`its Postgres backends used ${pgCpuSeconds.toFixed(1)} s of CPU (${Math.round((pgCpuSeconds * 1e6) / events)} µs per event)`);

    const [dead] = (await ds.query(`SELECT count(*)::int AS n FROM billing.dead_letters`)) as Array<{ n: number }>;
    const [mrr] = (await ds.query(`SELECT count(*)::int AS movements FROM billing.mrr_movements`)) as Array<{ movements: number }>;

    log('baseline: the same rows, bulk-inserted with unnest');
    const base = await baseline(ds, 'billing', 'billing_baseline', options.batch);
    const baselineEventsPerSecond = events / base.seconds;
    const ratio = eventsPerSecond / baselineEventsPerSecond;
    log(`baseline: ${base.rows.toLocaleString('en-US')} rows in ${base.seconds.toFixed(1)} s (${Math.round(base.rows / base.seconds).toLocaleString('en-US')} rows/s), ${Math.round(baselineEventsPerSecond).toLocaleString('en-US')} events/s equivalent`);
    log(`ratio projection / Postgres bulk insert: ${ratio.toFixed(2)}; target 20,000 events/s ${eventsPerSecond >= 20_000 ? 'met' : 'NOT met'}`);

    const result = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version },
      options: { ...options },
      events,
      deadLetters: dead!.n,
      mrrMovements: mrr!.movements,
      preload: { seconds: round(preloadSeconds), eventsPerSecond: Math.round(events / preloadSeconds) },
      projection: { seconds: round(projectSeconds), eventsPerSecond: Math.round(eventsPerSecond), nodeCpuSeconds: round(cpuSeconds), nodeCpuMicrosPerEvent: Math.round((cpuSeconds * 1e6) / events), postgresCpuSeconds: pgCpuSeconds === null ? null : round(pgCpuSeconds), postgresCpuMicrosPerEvent: pgCpuSeconds === null ? null : Math.round((pgCpuSeconds * 1e6) / events), loadAverage1m: round(loadAverage!) },
      baseline: { method: 'INSERT … SELECT FROM unnest(text[] per column) in batches', batch: options.batch, rows: base.rows, rowsByTable: base.byTable, seconds: round(base.seconds), rowsPerSecond: Math.round(base.rows / base.seconds), eventsPerSecondEquivalent: Math.round(baselineEventsPerSecond) },
      ratio: round(ratio),
      target: { eventsPerSecond: 20_000, met: eventsPerSecond >= 20_000 },
    };
    if (options.write) writeResults(result);
    return result;
  } finally {
    await runner?.stop();
    await publisher.disconnect();
    await ds.destroy().catch(() => undefined);
    await copy.destroy().catch(() => undefined);
    if (!options.keep) {
      const admin = kafka.admin();
      await admin.connect();
      const mine = (await admin.listTopics()).filter((t) => t.startsWith(`${topics.prefix}.`));
      await admin.deleteTopics({ topics: mine, timeout: 60_000 });
      await admin.disconnect();
      await dropDatabase(url);
    } else {
      log(`kept database ${url} and topics ${topics.prefix}.*`);
    }
  }
}

const round = (x: number): number => Math.round(x * 100) / 100;

function writeResults(result: Record<string, unknown> & { date: string }): void {
  const dir = join(projectRoot(), 'bench', 'results');
  const name = `billing-${result.date.slice(0, 10)}`;
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  const r = result as unknown as {
    events: number; deadLetters: number; mrrMovements: number; machine: { cpus: number; cpu: string; node: string }; options: BillingOptions;
    preload: { seconds: number; eventsPerSecond: number }; projection: { seconds: number; eventsPerSecond: number; nodeCpuSeconds: number; nodeCpuMicrosPerEvent: number; postgresCpuSeconds: number | null; postgresCpuMicrosPerEvent: number | null; loadAverage1m: number };
    baseline: { rows: number; rowsByTable: Record<string, number>; seconds: number; rowsPerSecond: number; eventsPerSecondEquivalent: number; batch: number };
    ratio: number; target: { met: boolean };
  };
  const md = `# Billing projector benchmark, ${result.date.slice(0, 10)}

\`npm run bench:billing\` (bench/billing/main.ts). Machine: ${r.machine.cpus} × ${r.machine.cpu}, Node ${r.machine.node}; the
broker and Postgres run on the same machine.

| figure | value |
|---|---|
| events preloaded (Valued + Pulsora, ${r.options.tenants} tenants, ${r.options.eventsPerCustomer} per customer, interleaved ${r.options.interleave}) | ${r.events.toLocaleString('en-US')} |
| partitions / concurrency / records per transaction / fetch bytes per partition | ${r.options.partitions} / ${r.options.concurrency} / ${r.options.batch} / ${r.options.fetchBytes ?? 'default'} |
| projected by | ${(r.options.instances ?? 0) === 0 ? 'a ProjectionRunner in the bench process' : `${r.options.instances} billing app process(es), as npm start runs the app, in one consumer group (time from their spawn, boot included)`} |
| preload (publish, acks=all) | ${r.preload.seconds} s, ${r.preload.eventsPerSecond.toLocaleString('en-US')} events/s |
| **projection** | **${r.projection.seconds} s, ${r.projection.eventsPerSecond.toLocaleString('en-US')} events/s** |
| CPU of the projecting Node process(es) / per event / load average (1 min) at the end | ${r.projection.nodeCpuSeconds} s / ${r.projection.nodeCpuMicrosPerEvent} µs / ${r.projection.loadAverage1m} |
| CPU of its Postgres backends / per event | ${r.projection.postgresCpuSeconds ?? 'n/a'} s / ${r.projection.postgresCpuMicrosPerEvent ?? 'n/a'} µs |
| document cache (documents) | ${r.options.documentCache.toLocaleString('en-US')} |
| dead letters / MRR movements produced | ${r.deadLetters} / ${r.mrrMovements.toLocaleString('en-US')} |
| Postgres bulk insert of the same rows (unnest, ${r.baseline.batch} rows per statement) | ${r.baseline.rows.toLocaleString('en-US')} rows in ${r.baseline.seconds} s, ${r.baseline.rowsPerSecond.toLocaleString('en-US')} rows/s |
| … as events/s | ${r.baseline.eventsPerSecondEquivalent.toLocaleString('en-US')} |
| **ratio projection / bulk insert** | **${r.ratio}** |
| target 20,000 events/s | ${r.target.met ? 'met' : 'not met'} |

Rows by table: ${Object.entries(r.baseline.rowsByTable).map(([t, n]) => `${t} ${n.toLocaleString('en-US')}`).join(', ')}.
`;
  writeFileSync(join(dir, `${name}.md`), md);
  log(`wrote bench/results/${name}.md and .json`);
}

if (require.main === module) {
  runToExit('bench:billing', run(program.parse().opts<BillingOptions>()));
}
