import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import autocannon, { type Request, type Result } from 'autocannon';
import { Topics } from '@revstream/events';
import { createKafka, ensureTopics } from '@revstream/kafka';
import { dropDatabase, ensureDatabase, runMigrations, sqlClient } from '@revstream/persistence';
import { createTenancyDataSource, TenancyRepository } from '@revstream/tenancy';
import { projectRoot } from '../../tools/shared/project-root';
import { type BenchTenant, pulsoraPageview, pulsoraRevenue, reveniumMeter, revlintBatches, revnuUsage, valuedRevenue } from './workload';

/**
 * `npm run bench:ingest`: the gateway as a child process against the real broker (acks=all) and
 * Postgres, on its own topic prefix and database; HTTP load with autocannon: Revenue Linter batches
 * of 100 events, plus a mix of single events to Pulsora, Revnu, Valued and Revenium, over many
 * tenants. Reports events/s acknowledged, p50/p99 latency, the gateway's peak RSS and CPU, and
 * checks the topics hold at least what was acknowledged. Writes bench/results/ingest-<date>.{md,json}.
 *
 * Knobs (environment): BENCH_DURATION_S (20), BENCH_BATCH_CONNECTIONS (16), BENCH_SINGLE_CONNECTIONS (16),
 * BENCH_TENANTS (100), BENCH_BATCH_SIZE (100).
 */

const env = (name: string, fallback: number): number => (process.env[name] ? Number(process.env[name]) : fallback);
const DURATION_S = env('BENCH_DURATION_S', 20);
const BATCH_CONNECTIONS = env('BENCH_BATCH_CONNECTIONS', 16);
const SINGLE_CONNECTIONS = env('BENCH_SINGLE_CONNECTIONS', 16);
const TENANTS = env('BENCH_TENANTS', 100);
const BATCH_SIZE = env('BENCH_BATCH_SIZE', 100);
const BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const BASE_DB = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/revstream';

const log = (line: string): void => void process.stderr.write(`[bench:ingest] ${line}\n`);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/** Peak resident set (VmHWM) and CPU seconds (user + system) of a process, from /proc. */
function procStats(pid: number): { peakRssMiB: number; rssMiB: number; cpuSeconds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(stat[11]) + Number(stat[12]); // utime, stime (fields 14, 15)
  return { peakRssMiB: kib('VmHWM') / 1024, rssMiB: kib('VmRSS') / 1024, cpuSeconds: ticks / 100 };
}

async function waitReady(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode}`);
    try {
      const r = await fetch(`${url}/health`);
      if (r.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('gateway did not become ready');
}

interface Phase {
  name: string;
  eventsPerRequest: number;
  result: Result;
}

function run(opts: autocannon.Options): Promise<Result> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

async function main(): Promise<void> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const prefix = `bench_ingest_${Date.now().toString(36)}`;
  const dbUrl = new URL(BASE_DB);
  dbUrl.pathname = `/rs_bench_ingest_${Date.now().toString(36)}`;
  const databaseUrl = dbUrl.toString();
  const topics = new Topics(prefix);
  const kafka = createKafka({ brokers: BROKERS, clientId: 'bench-ingest' });

  log(`database ${databaseUrl}, topic prefix ${prefix}`);
  await ensureDatabase(databaseUrl);
  await ensureTopics(kafka, topics, { partitions: 6, replicationFactor: 1 });

  // Tenants and the Revnu product, written the way the CLI writes them.
  const ds = createTenancyDataSource(databaseUrl, 2);
  await runMigrations(ds, databaseUrl);
  const repo = new TenancyRepository(sqlClient(ds));
  const tenants: BenchTenant[] = [];
  for (let i = 0; i < TENANTS; i++) {
    const t = await repo.createTenant(`bench ${i}`);
    await repo.upsertProduct({ tenantId: t.tenantId, productId: 'prod_api', model: 'metered', eventName: 'api_calls', currency: 'USD', unitAmount: 2, flatAmount: null });
    tenants.push({ tenantId: t.tenantId, ingest: t.tokens.ingest, secret: t.tokens.secret, public: t.tokens.public });
  }
  await ds.destroy();

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // BENCH_PROFILE=1: the gateway writes a V8 CPU profile to bench/results/tmp/ when it exits.
  const profile = process.env.BENCH_PROFILE === '1' ? ['--cpu-prof', `--cpu-prof-dir=${join(projectRoot(), 'bench/results/tmp')}`] : [];
  const nodeFlags = (process.env.BENCH_GATEWAY_NODE_FLAGS ?? '').split(' ').filter((f) => f.length > 0);
  const child = spawn(process.execPath, [...nodeFlags, ...profile, join(projectRoot(), 'dist/apps/gateway/src/main.js')], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', KAFKA_BROKERS: BROKERS, DATABASE_URL: databaseUrl, KAFKA_TOPIC_PREFIX: prefix, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let outcome: Record<string, unknown> | undefined;
  try {
    await waitReady(url, child);
    log(`gateway pid ${child.pid} ready on ${url}`);

    const batches = revlintBatches(200, BATCH_SIZE);
    let b = 0;
    let s = 0;
    const json = { 'content-type': 'application/json' };
    const tenantOf = (i: number): BenchTenant => tenants[i % tenants.length]!;
    const batchRequest: Request = {
      method: 'POST',
      path: '/api/v1/events/product',
      setupRequest: (req) => {
        const i = b++;
        return { ...req, headers: { ...json, authorization: `Bearer ${tenantOf(i).ingest}` }, body: batches[i % batches.length]! };
      },
    };
    // The single-event mix, in this proportion: 2 Pulsora pageviews, 1 Pulsora revenue, 1 Revnu, 1 Valued, 2 Revenium.
    const singles: Array<(i: number, t: BenchTenant) => { path: string; headers: Record<string, string>; body: string }> = [
      (i, t) => ({ path: '/api/ingest', headers: { ...json, 'x-api-token': t.public }, body: pulsoraPageview(i) }),
      (i, t) => ({ path: '/api/ingest', headers: { ...json, 'x-api-token': t.secret }, body: pulsoraRevenue(i) }),
      (i, t) => ({ path: '/api/v1/usage', headers: { ...json, authorization: `Bearer ${t.ingest}` }, body: revnuUsage(i) }),
      (i, t) => ({ path: '/meter/v2/events', headers: { ...json, 'x-api-key': t.ingest }, body: reveniumMeter(i) }),
      (i, t) => ({ path: '/api/ingest', headers: { ...json, 'x-api-token': t.public }, body: pulsoraPageview(i + 1) }),
      (i, t) => ({ path: '/events', headers: { ...json, authorization: `Bearer ${t.ingest}` }, body: valuedRevenue(i) }),
      (i, t) => ({ path: '/meter/v2/events', headers: { ...json, 'x-api-key': t.ingest }, body: reveniumMeter(i + 7) }),
    ];
    const singleRequest: Request = {
      method: 'POST',
      path: '/',
      setupRequest: (req) => {
        const i = s++;
        const r = singles[i % singles.length]!(i, tenantOf(Math.floor(i / singles.length)));
        return { ...req, method: 'POST', path: r.path, headers: r.headers, body: r.body };
      },
    };

    log('warm-up (5 s)');
    await Promise.all([
      run({ url, connections: 4, duration: 5, requests: [batchRequest] }),
      run({ url, connections: 4, duration: 5, requests: [singleRequest] }),
    ]);
    const sizesBefore = await Promise.all(topics.allRaw.map((t) => topicTotal(kafka, t)));
    const before = procStats(child.pid!);
    log(`measuring ${DURATION_S} s: ${BATCH_CONNECTIONS} connections of ${BATCH_SIZE}-event batches, ${SINGLE_CONNECTIONS} connections of single events`);
    const started = Date.now();
    const [batchResult, singleResult] = await Promise.all([
      run({ url, connections: BATCH_CONNECTIONS, duration: DURATION_S, requests: [batchRequest] }),
      run({ url, connections: SINGLE_CONNECTIONS, duration: DURATION_S, requests: [singleRequest] }),
    ]);
    const elapsed = (Date.now() - started) / 1000;
    const after = procStats(child.pid!);
    const sizesAfter = await Promise.all(topics.allRaw.map((t) => topicTotal(kafka, t)));
    const onTopics = sizesAfter.reduce((a, n, i) => a + n - sizesBefore[i]!, 0);

    const phases: Phase[] = [
      { name: `Revenue Linter batches of ${BATCH_SIZE}`, eventsPerRequest: BATCH_SIZE, result: batchResult },
      { name: 'single events (Pulsora, Revnu, Valued, Revenium)', eventsPerRequest: 1, result: singleResult },
    ];
    const accepted = phases.reduce((n, p) => n + p.result['2xx'] * p.eventsPerRequest, 0);
    outcome = {
      date: new Date().toISOString(),
      loadAverageAtEnd: (await import('node:os')).loadavg().map((x) => Number(x.toFixed(2))),
      machine: `${(await import('node:os')).cpus().length} cores, node ${process.version}`,
      durationSeconds: elapsed,
      tenants: TENANTS,
      gatewayNodeFlags: nodeFlags.join(' '),
      identityProjection: process.env.IDENTITY_PROJECTION ?? 'on',
      eventsAccepted: accepted,
      eventsPerSecond: Math.round(accepted / elapsed),
      eventsOnTopics: onTopics,
      gateway: {
        peakRssMiB: Math.round(after.peakRssMiB),
        cpuCoresUsed: Number(((after.cpuSeconds - before.cpuSeconds) / elapsed).toFixed(2)),
      },
      phases: phases.map((p) => ({
        name: p.name,
        connections: p.result.connections,
        requests: p.result.requests.total,
        requestsPerSecond: Math.round(p.result['2xx'] / elapsed),
        eventsPerSecond: Math.round((p.result['2xx'] * p.eventsPerRequest) / elapsed),
        latencyMs: { p50: p.result.latency.p50, p90: p.result.latency.p90, p99: p.result.latency.p99, max: p.result.latency.max },
        status: Object.fromEntries(Object.entries(p.result.statusCodeStats ?? {}).map(([code, v]) => [code, (v as { count: number }).count])),
        errors: p.result.errors,
        timeouts: p.result.timeouts,
      })),
    };
    writeResults(stamp, outcome);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: topics.all, timeout: 30_000 }).catch(() => undefined);
    await admin.disconnect();
    await dropDatabase(databaseUrl).catch(() => undefined);
  }
}

async function topicTotal(kafka: ReturnType<typeof createKafka>, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

function writeResults(stamp: string, outcome: Record<string, unknown>): void {
  const dir = join(projectRoot(), 'bench/results');
  mkdirSync(dir, { recursive: true });
  const day = stamp.slice(0, 10);
  const o = outcome as {
    eventsPerSecond: number; eventsAccepted: number; eventsOnTopics: number; durationSeconds: number; machine: string; tenants: number;
    gateway: { peakRssMiB: number; cpuCoresUsed: number };
    phases: Array<{ name: string; connections: number; requestsPerSecond: number; eventsPerSecond: number; latencyMs: { p50: number; p90: number; p99: number; max: number }; status: Record<string, number>; errors: number; timeouts: number }>;
  };
  const md = [
    `# Ingest benchmark, ${outcome.date as string}`,
    '',
    `\`npm run bench:ingest\`: the gateway as a child process, real Kafka (acks=all, idempotent producer) and Postgres on this machine (${o.machine}), ${o.tenants} tenants, ${o.durationSeconds.toFixed(1)} s measured after a 5 s warm-up.`,
    '',
    `**${o.eventsPerSecond.toLocaleString('en-US')} events/s** acknowledged (${o.eventsAccepted.toLocaleString('en-US')} events answered 2xx; ${o.eventsOnTopics.toLocaleString('en-US')} records appeared on the raw topics meanwhile). Gateway peak RSS ${o.gateway.peakRssMiB} MiB, ${o.gateway.cpuCoresUsed} CPU cores busy on average.`,
    '',
    '| load | connections | requests/s | events/s | p50 ms | p90 ms | p99 ms | max ms | statuses | errors |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...o.phases.map((p) => `| ${p.name} | ${p.connections} | ${p.requestsPerSecond} | ${p.eventsPerSecond} | ${p.latencyMs.p50} | ${p.latencyMs.p90} | ${p.latencyMs.p99} | ${p.latencyMs.max} | ${Object.entries(p.status).map(([c, n]) => `${c}: ${n}`).join(', ')} | ${p.errors + p.timeouts} |`),
    '',
  ].join('\n');
  writeFileSync(join(dir, `ingest-${day}.md`), md);
  writeFileSync(join(dir, `ingest-${day}.json`), `${JSON.stringify(outcome, null, 2)}\n`);
  process.stdout.write(md);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:ingest failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
