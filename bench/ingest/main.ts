import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import autocannon, { type Request, type Result } from 'autocannon';
import { createEnvelope, encodeEnvelope, Topics } from '@revstream/events';
import { createKafka, ensureTopics } from '@revstream/kafka';
import { dropDatabase, ensureDatabase } from '@revstream/persistence';
import { projectRoot } from '../../tools/shared/project-root';
import { pipelineApp } from '../../tools/start/pipeline-apps';
import { processCpuTicks } from '../shared/proc';
import { type ProducerLimit, producerLimit, withPerfTopic } from '../shared/kafka-limits';
import { freePort } from '@revstream/testing';
import { createBenchTenants } from '../shared/tenants';
import { type BenchFigure, type BenchReport, machineDescription, today, writeReport } from '../shared/results';
import { type BenchTenant, pulsoraPageview, pulsoraRevenue, reveniumMeter, revlintBatches, revnuUsage, valuedRevenue } from './workload';
import { runToExit } from '../shared/run-to-exit';

/**
 * `npm run bench:ingest`: the gateway as a child process against the real broker (acks=all) and
 * Postgres, on its own topic prefix and database; HTTP load with autocannon: Revenue Linter batches
 * of 100 events, plus a mix of single events to Pulsora, Revnu, Valued and Revenium, over many
 * tenants. Measured twice: the gateway as `npm start` runs it (IDENTITY_PROJECTION=off: its
 * customer-identity projection runs in a worker of its own, not started here), and a single-process
 * gateway that also runs that projection (IDENTITY_PROJECTION=on). Reports events/s acknowledged, p50/p99 latency, the
 * gateway's peak RSS and CPU per event, checks the topics hold at least what was acknowledged, and
 * writes bench/results/ingest-<date>.{md,json}.
 *
 * Knobs (environment): BENCH_DURATION_S (20), BENCH_BATCH_CONNECTIONS (16), BENCH_SINGLE_CONNECTIONS
 * (16), BENCH_TENANTS (100), BENCH_BATCH_SIZE (100), BENCH_MODES (`on,off`: identity projection),
 * BENCH_GATEWAY_NODE_FLAGS, BENCH_PROFILE=1 (V8 CPU profiles in bench/results/tmp/).
 */

const num = (name: string, fallback: number): number => (process.env[name] ? Number(process.env[name]) : fallback);

export interface IngestOptions {
  durationS: number;
  warmupS: number;
  batchConnections: number;
  singleConnections: number;
  tenants: number;
  batchSize: number;
  /** The identity projection in the gateway process (`on`) or not (`off`, as `npm start` runs it). */
  modes: Array<'on' | 'off'>;
  gatewayNodeFlags: string[];
  profile: boolean;
  brokers: string;
  baseDatabaseUrl: string;
  /** Records for Kafka's ProducerPerformance, the limit (measured after the load, same record size). */
  limitRecords: number;
  /** Write bench/results/ingest-<date>.{md,json}. */
  write: boolean;
}

const GATEWAY_APP = pipelineApp('gateway');

/** The options from the environment knobs above (what `npm run bench:ingest` uses). */
export function ingestOptionsFromEnv(): IngestOptions {
  return {
    durationS: num('BENCH_DURATION_S', 20),
    warmupS: 5,
    batchConnections: num('BENCH_BATCH_CONNECTIONS', 16),
    singleConnections: num('BENCH_SINGLE_CONNECTIONS', 16),
    tenants: num('BENCH_TENANTS', 100),
    batchSize: num('BENCH_BATCH_SIZE', 100),
    modes: (process.env.BENCH_MODES ?? 'on,off').split(',').map((m) => m.trim()) as Array<'on' | 'off'>,
    // As `npm start` runs the gateway unless BENCH_GATEWAY_NODE_FLAGS says otherwise ('' for none).
    gatewayNodeFlags: (process.env.BENCH_GATEWAY_NODE_FLAGS ?? GATEWAY_APP.nodeArgs?.join(' ') ?? '').split(' ').filter((f) => f.length > 0),
    profile: process.env.BENCH_PROFILE === '1',
    brokers: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
    baseDatabaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/revstream',
    limitRecords: 300_000,
    write: true,
  };
}

const log = (line: string): void => void process.stderr.write(`[bench:ingest] ${line}\n`);

/** Peak resident set (VmHWM) and CPU seconds (user + system) of a process, from /proc. */
export function procStats(pid: number): { peakRssMiB: number; cpuSeconds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const peakKiB = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
  return { peakRssMiB: peakKiB / 1024, cpuSeconds: (processCpuTicks(pid) ?? 0) / 100 };
}

function load(opts: autocannon.Options): Promise<Result> {
  return new Promise((resolve, reject) => autocannon(opts, (error, result) => (error ? reject(error) : resolve(result))));
}

async function rawTotal(kafka: ReturnType<typeof createKafka>, topics: Topics): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    let total = 0;
    for (const topic of topics.allRaw) total += (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
    return total;
  } finally {
    await admin.disconnect();
  }
}

interface Setup {
  databaseUrl: string;
  prefix: string;
  topics: Topics;
  kafka: ReturnType<typeof createKafka>;
  tenants: BenchTenant[];
}

export interface PhaseOutcome {
  name: string;
  connections: number;
  requestsPerSecond: number;
  eventsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  status: Record<string, number>;
  errors: number;
}

export interface Outcome {
  identityProjection: 'on' | 'off';
  durationSeconds: number;
  eventsAccepted: number;
  eventsPerSecond: number;
  eventsOnTopics: number;
  gateway: { peakRssMiB: number; cpuCoresUsed: number; cpuMicrosecondsPerEvent: number };
  loadAverageAtEnd: number[];
  phases: PhaseOutcome[];
}

/** The requests: batches rotate over pre-built bodies; singles cycle through the mix; both spread over the tenants. */
function requests(tenants: BenchTenant[], batchSize: number): { batch: Request; single: Request } {
  const batches = revlintBatches(200, batchSize);
  const json = { 'content-type': 'application/json' };
  const tenantOf = (i: number): BenchTenant => tenants[i % tenants.length]!;
  // The single-event mix, in this proportion: 2 Pulsora pageviews, 1 Pulsora revenue, 1 Revnu, 1 Valued, 2 Revenium.
  const mix: Array<(i: number, t: BenchTenant) => { path: string; headers: Record<string, string>; body: string }> = [
    (i, t) => ({ path: '/api/ingest', headers: { ...json, 'x-api-token': t.public }, body: pulsoraPageview(i) }),
    (i, t) => ({ path: '/api/ingest', headers: { ...json, 'x-api-token': t.secret }, body: pulsoraRevenue(i) }),
    (i, t) => ({ path: '/api/v1/usage', headers: { ...json, authorization: `Bearer ${t.ingest}` }, body: revnuUsage(i) }),
    (i, t) => ({ path: '/meter/v2/events', headers: { ...json, 'x-api-key': t.ingest }, body: reveniumMeter(i) }),
    (i, t) => ({ path: '/api/ingest', headers: { ...json, 'x-api-token': t.public }, body: pulsoraPageview(i + 1) }),
    (i, t) => ({ path: '/events', headers: { ...json, authorization: `Bearer ${t.ingest}` }, body: valuedRevenue(i) }),
    (i, t) => ({ path: '/meter/v2/events', headers: { ...json, 'x-api-key': t.ingest }, body: reveniumMeter(i + 7) }),
  ];
  let b = 0;
  let s = 0;
  return {
    batch: {
      method: 'POST',
      path: '/api/v1/events/product',
      setupRequest: (req) => {
        const i = b++;
        return { ...req, headers: { ...json, authorization: `Bearer ${tenantOf(i).ingest}` }, body: batches[i % batches.length]! };
      },
    },
    single: {
      method: 'POST',
      path: '/',
      setupRequest: (req) => {
        const i = s++;
        const r = mix[i % mix.length]!(i, tenantOf(Math.floor(i / mix.length)));
        return { ...req, path: r.path, headers: r.headers, body: r.body };
      },
    },
  };
}

async function measure(setup: Setup, mode: 'on' | 'off', o: IngestOptions): Promise<Outcome> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const profile = o.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(projectRoot(), 'bench/results/tmp')}`] : [];
  const child = spawn(process.execPath, [...o.gatewayNodeFlags, ...profile, join(projectRoot(), 'dist/apps/gateway/src/main.js')], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      KAFKA_BROKERS: o.brokers,
      DATABASE_URL: setup.databaseUrl,
      KAFKA_TOPIC_PREFIX: setup.prefix,
      IDENTITY_PROJECTION: mode,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise((r) => child.once('exit', r));
  try {
    for (let i = 0; ; i++) {
      if (child.exitCode !== null || i > 300) throw new Error('the gateway did not become ready');
      const status = await fetch(`${url}/health`).then((r) => r.status, () => 0);
      if (status === 200) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    log(`identity projection ${mode}: gateway pid ${child.pid} ready on ${url}; warm-up ${o.warmupS} s`);
    const { batch, single } = requests(setup.tenants, o.batchSize);
    await Promise.all([load({ url, connections: 4, duration: o.warmupS, requests: [batch] }), load({ url, connections: 4, duration: o.warmupS, requests: [single] })]);

    const topicsBefore = await rawTotal(setup.kafka, setup.topics);
    const before = procStats(child.pid!);
    log(`measuring ${o.durationS} s: ${o.batchConnections} connections of ${o.batchSize}-event batches, ${o.singleConnections} of single events`);
    const started = Date.now();
    const [batchResult, singleResult] = await Promise.all([
      load({ url, connections: o.batchConnections, duration: o.durationS, requests: [batch] }),
      load({ url, connections: o.singleConnections, duration: o.durationS, requests: [single] }),
    ]);
    const elapsed = (Date.now() - started) / 1000;
    const after = procStats(child.pid!);
    const onTopics = (await rawTotal(setup.kafka, setup.topics)) - topicsBefore;

    const phases = [
      { name: `Revenue Linter batches of ${o.batchSize}`, perRequest: o.batchSize, result: batchResult },
      { name: 'single events (Pulsora, Revnu, Valued, Revenium)', perRequest: 1, result: singleResult },
    ];
    const accepted = phases.reduce((n, p) => n + p.result['2xx'] * p.perRequest, 0);
    const cpu = after.cpuSeconds - before.cpuSeconds;
    return {
      identityProjection: mode,
      durationSeconds: Number(elapsed.toFixed(1)),
      eventsAccepted: accepted,
      eventsPerSecond: Math.round(accepted / elapsed),
      eventsOnTopics: onTopics,
      gateway: { peakRssMiB: Math.round(after.peakRssMiB), cpuCoresUsed: Number((cpu / elapsed).toFixed(2)), cpuMicrosecondsPerEvent: Math.round((cpu * 1e6) / Math.max(1, accepted)) },
      loadAverageAtEnd: loadavg().map((x) => Number(x.toFixed(2))),
      phases: phases.map((p) => ({
        name: p.name,
        connections: p.result.connections,
        requestsPerSecond: Math.round(p.result['2xx'] / elapsed),
        eventsPerSecond: Math.round((p.result['2xx'] * p.perRequest) / elapsed),
        latencyMs: { p50: p.result.latency.p50, p90: p.result.latency.p90, p99: p.result.latency.p99, max: p.result.latency.max },
        status: Object.fromEntries(Object.entries(p.result.statusCodeStats ?? {}).map(([code, v]) => [code, (v as { count: number }).count])),
        errors: p.result.errors + p.result.timeouts,
      })),
    };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

/** The average size of the records the workload's Revenue Linter events become (what the broker's own limit is measured with). */
export function envelopeSize(): number {
  const events = (JSON.parse(revlintBatches(1, 100)[0]!) as { events: Array<Record<string, unknown>> }).events;
  const sizes = events.map(
    (e) => encodeEnvelope(createEnvelope({ eventId: '00000000-0000-5000-8000-000000000000', tenantId: 'tn_xxxxxxxxxxxxxxxxxxxx', type: 'revlint.product_event', receivedAt: new Date().toISOString(), customerId: String(e.stripeCustomerId), producer: 'gateway', body: e as never })).value.length,
  );
  return Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length);
}

function figures(outcomes: Outcome[], limit: ProducerLimit): BenchFigure[] {
  const kafkaLimit = { name: 'Kafka ProducerPerformance, acks=all, same run', value: limit.recordsPerSec, unit: 'records/s' };
  return outcomes.flatMap((o): BenchFigure[] => {
    const stage = o.identityProjection === 'on' ? 'gateway, identity projection in-process (one process)' : 'gateway as npm start runs it (identity projection in its own worker, not running here)';
    const [batch, single] = o.phases;
    return [
      {
        stage,
        metric: 'events acknowledged (2xx after acks=all)',
        value: o.eventsPerSecond,
        unit: 'events/s',
        target: '≥ 20,000 events/s',
        limit: kafkaLimit,
        ratio: o.eventsPerSecond / limit.recordsPerSec,
        notes: `${o.eventsAccepted} events in ${o.durationSeconds} s; ${o.eventsOnTopics} records reached the raw topics; load average at the end ${o.loadAverageAtEnd.join(', ')}`,
      },
      { stage, metric: `latency, ${batch!.name}`, value: batch!.latencyMs.p50, unit: 'ms p50', notes: `p90 ${batch!.latencyMs.p90} ms, p99 ${batch!.latencyMs.p99} ms, max ${batch!.latencyMs.max} ms; ${batch!.requestsPerSecond} requests/s; ${JSON.stringify(batch!.status)}` },
      { stage, metric: `latency, ${single!.name}`, value: single!.latencyMs.p50, unit: 'ms p50', notes: `p90 ${single!.latencyMs.p90} ms, p99 ${single!.latencyMs.p99} ms, max ${single!.latencyMs.max} ms; ${single!.requestsPerSecond} requests/s; ${JSON.stringify(single!.status)}` },
      { stage, metric: 'gateway peak RSS', value: o.gateway.peakRssMiB, unit: 'MiB' },
      { stage, metric: 'gateway CPU per event', value: o.gateway.cpuMicrosecondsPerEvent, unit: 'µs', notes: `${o.gateway.cpuCoresUsed} cores busy on average` },
    ];
  });
}

export interface IngestResult {
  outcomes: Outcome[];
  limit: ProducerLimit;
  report: BenchReport;
}

/** The ingest benchmark: a fresh database and topic prefix, the gateway per mode, the producer limit when none is given. */
export async function run(o: IngestOptions, given?: ProducerLimit): Promise<IngestResult> {
  const id = Date.now().toString(36);
  const prefix = `bench_ingest_${id}`;
  const dbUrl = new URL(o.baseDatabaseUrl);
  dbUrl.pathname = `/rs_bench_ingest_${id}`;
  const setup: Setup = { databaseUrl: dbUrl.toString(), prefix, topics: new Topics(prefix), kafka: createKafka({ brokers: o.brokers, clientId: 'bench-ingest' }), tenants: [] };
  log(`database ${setup.databaseUrl}, topic prefix ${prefix}`);
  await ensureDatabase(setup.databaseUrl);
  await ensureTopics(setup.kafka, setup.topics, { partitions: 6, replicationFactor: 1 });
  try {
    // Tenants and their Revnu product, written as the CLI writes them.
    setup.tenants.push(...(await createBenchTenants(setup.databaseUrl, o.tenants)));

    const outcomes: Outcome[] = [];
    for (const mode of o.modes) outcomes.push(await measure(setup, mode, o));
    // The broker's own limit on this machine now, with records of our envelopes' size: what the figures are bounded by.
    const recordSize = envelopeSize();
    if (!given) log(`Kafka's ProducerPerformance (acks=all, ${recordSize} B records)`);
    const limit = given ?? (await withPerfTopic(o.brokers, 6, (topic) => producerLimit(o.brokers, topic, o.limitRecords, recordSize)));
    const report: BenchReport = {
      title: 'Ingest gateway: events/s with acks=all, latency, RSS',
      date: new Date().toISOString(),
      machine: machineDescription(),
      command: 'npm run bench:ingest',
      figures: figures(outcomes, limit),
      details: {
        workload:
          `${o.tenants} tenants; ${o.durationS} s measured after a ${o.warmupS} s warm-up; ${o.batchConnections} connections posting Revenue Linter batches of ${o.batchSize} events, ` +
          `${o.singleConnections} posting single events (2 Pulsora pageviews : 1 Pulsora revenue : 1 Revnu usage : 1 Valued revenue : 2 Revenium meter); ` +
          'the gateway a child process (its CPU and RSS from /proc), the broker, Postgres and the load generator on the same machine',
        gatewayNodeFlags: o.gatewayNodeFlags,
        kafkaProducerLimit: limit,
        outcomes,
      },
    };
    if (o.write) {
      const path = writeReport(`ingest-${today()}`, report);
      process.stdout.write(`${readFileSync(path, 'utf8')}\nwritten to ${path}\n`);
    }
    return { outcomes, limit, report };
  } finally {
    const admin = setup.kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: setup.topics.all, timeout: 30_000 }).catch(() => undefined);
    await admin.disconnect();
    await dropDatabase(setup.databaseUrl).catch(() => undefined);
  }
}

if (require.main === module) {
  runToExit('bench:ingest', run(ingestOptionsFromEnv()));
}
