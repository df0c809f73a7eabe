import 'reflect-metadata';
import { type ChildProcess, spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import { Client } from 'pg';
import { Topics } from '@revstream/events';
import { createKafka, ensureTopics } from '@revstream/kafka';
import { dropDatabase, ensureDatabase } from '@revstream/persistence';
import { migrateAll } from '../../apps/cli/src/commands/migrate.command';
import { projectRoot } from '../../tools/shared/project-root';
import { type AppSpec, PIPELINE_APPS, type PipelinePorts } from '../../tools/start/pipeline-apps';
import { procStats } from '../ingest/main';
import { type BenchTenant, pulsoraPageview, pulsoraRevenue, reveniumMeter, revlintBatches, revnuUsage, valuedRevenue } from '../ingest/workload';
import { freePort } from '@revstream/testing';
import { type BenchReport, machineDescription, today, writeReport } from '../shared/results';
import { createBenchTenants } from '../shared/tenants';
import { runToExit } from '../shared/run-to-exit';

/**
 * `npm run bench:e2e`: the whole pipeline as `npm start` runs it (the same app list,
 * tools/start/pipeline-apps.ts: gateway, identity worker, billing, metering, cohorts, query API, each
 * a child process) on its own database and topic prefix, against the real broker and Postgres. An
 * open-loop load (requests leave on schedule whatever the answers do) of `--rate` events/s over HTTP
 * for `--duration` seconds after a warm-up: 98% Revenue Linter batches of 100 events, 2% single
 * events (Revenium meter 1.2%, Pulsora revenue 0.4%, Revnu usage 0.2%, Valued 0.1%, Pulsora pageview
 * 0.1%): at 5,000 events/s, 49 batches and 100 single requests a second.
 *
 * Latency per event, for every Revenium meter event (its rows in metering.usage_ledger) and every
 * Pulsora revenue event (its dedup key `billing|<tenant>|pulsora-txn:<id>` in billing.processed_keys,
 * written in the transaction that writes its read-model rows): from the HTTP 2xx response to the first poll of Postgres that sees the
 * row. Pending keys are polled every `--poll-ms` ms with one indexed query per table, so the figure
 * is over-stated by up to one poll interval plus the query. Events still invisible `--drain` seconds
 * after the load count as never seen (p99 is then reported as above the drain).
 */
export interface E2eOptions {
  rate: number;
  durationS: number;
  warmupS: number;
  drainS: number;
  pollMs: number;
  tenants: number;
  brokers: string;
  baseDatabaseUrl: string;
  write: boolean;
}

type Kind = 'batch' | 'revenium' | 'pulsoraRevenue' | 'revnu' | 'valued' | 'pageview';
type Sampled = 'metering' | 'billing';

/** Share of the events per request kind (batch events count 100 per request). */
const MIX: Record<Kind, number> = { batch: 0.98, revenium: 0.012, pulsoraRevenue: 0.004, revnu: 0.002, valued: 0.001, pageview: 0.001 };
const BATCH = 100;

interface Sample {
  readModel: Sampled;
  tenantId: string;
  customerId: string;
  key: string;
  respondedAt: number;
  visibleAt?: number;
}

export interface E2eResult {
  offeredEventsPerSecond: number;
  acknowledgedEventsPerSecond: number;
  samples: number;
  visible: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  byReadModel: Record<Sampled, { samples: number; visible: number; p50: number; p99: number }>;
  httpLatencyMs: { p50: number; p99: number };
  status: Record<string, number>;
  errors: number;
  gatewayPeakRssMiB: number;
  loadAverage: number[];
  report: BenchReport;
}

const log = (line: string): void => void process.stderr.write(`[bench:e2e] ${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The q-quantile of ascending values (nearest rank); Infinity stands for never seen. */
function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

interface Pipeline {
  children: Map<string, ChildProcess>;
  ports: PipelinePorts;
  stop: () => Promise<void>;
}

async function startPipeline(env: Record<string, string>): Promise<Pipeline> {
  const ports: PipelinePorts = { PORT: 0, API_PORT: 0, BILLING_PORT: 0, METERING_PORT: 0, COHORTS_PORT: 0, IDENTITY_PORT: 0 };
  for (const name of Object.keys(ports) as Array<keyof PipelinePorts>) ports[name] = await freePort();
  const children = new Map<string, ChildProcess>();
  let stopping = false;
  const stop = async (): Promise<void> => {
    stopping = true;
    await Promise.all(
      [...children.values()].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
  };
  const portEnv = Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)]));
  for (const app of PIPELINE_APPS) {
    const child = spawn(process.execPath, ['--enable-source-maps', ...(app.nodeArgs ?? []), join(projectRoot(), 'dist', 'apps', app.entry)], {
      env: { ...process.env, ...env, ...portEnv, ...app.env },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.set(app.name, child);
    child.once('exit', (code, signal) => {
      if (!stopping) log(`${app.name} exited (${signal ?? `code ${code}`}) while the benchmark ran`);
    });
  }
  const deadline = Date.now() + 120_000;
  const pending = new Set<AppSpec>(PIPELINE_APPS);
  while (pending.size > 0) {
    for (const app of [...pending]) {
      if (children.get(app.name)!.exitCode !== null) {
        await stop();
        throw new Error(`${app.name} exited while starting`);
      }
      const status = await fetch(`http://127.0.0.1:${ports[app.portVariable]}/health`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.status, () => 0);
      if (status === 200) pending.delete(app);
    }
    if (pending.size === 0) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`not ready after 120 s: ${[...pending].map((a) => a.name).join(', ')}`);
    }
    await sleep(300);
  }
  return { children, ports, stop };
}

/** Polls Postgres for the pending samples' rows until none is pending or the deadline passes. */
async function pollVisibility(client: Client, pending: Set<Sample>, pollMs: number, until: () => boolean): Promise<void> {
  while (!until()) {
    const started = performance.now();
    const metering = [...pending].filter((s) => s.readModel === 'metering');
    const billing = [...pending].filter((s) => s.readModel === 'billing');
    if (metering.length > 0) {
      const { rows } = await client.query<{ t: string; c: string; k: string }>(
        `SELECT DISTINCT u.t, u.c, u.k FROM unnest($1::text[], $2::text[], $3::text[]) AS u(t, c, k)
           JOIN metering.usage_ledger l ON l.tenant_id = u.t COLLATE "C" AND l.customer_id = u.c COLLATE "C" AND l.dedup_key = u.k COLLATE "C"`,
        [metering.map((s) => s.tenantId), metering.map((s) => s.customerId), metering.map((s) => s.key)],
      );
      const seen = new Set(rows.map((r) => `${r.t}\u0000${r.c}\u0000${r.k}`));
      for (const s of metering) if (seen.has(`${s.tenantId}\u0000${s.customerId}\u0000${s.key}`)) ((s.visibleAt = started), pending.delete(s));
    }
    if (billing.length > 0) {
      const { rows } = await client.query<{ key: string }>(
        `SELECT p.key FROM unnest($1::text[]) AS u(k) JOIN billing.processed_keys p ON p.key = u.k`,
        [billing.map((s) => s.key)],
      );
      const seen = new Set(rows.map((r) => r.key));
      for (const s of billing) if (seen.has(s.key)) ((s.visibleAt = started), pending.delete(s));
    }
    const spent = performance.now() - started;
    await sleep(Math.max(1, pollMs - spent));
  }
}

export async function run(o: E2eOptions): Promise<E2eResult> {
  const id = Date.now().toString(36);
  const prefix = `bench_e2e_${id}`;
  const dbUrl = new URL(o.baseDatabaseUrl);
  dbUrl.pathname = `/rs_bench_e2e_${id}`;
  const databaseUrl = dbUrl.toString();
  const topics = new Topics(prefix);
  const kafka = createKafka({ brokers: o.brokers, clientId: 'bench-e2e' });
  log(`database ${databaseUrl}, topic prefix ${prefix}`);
  await ensureDatabase(databaseUrl);
  await migrateAll(databaseUrl, () => undefined);
  await ensureTopics(kafka, topics, { partitions: 6, replicationFactor: 1 });
  let pipeline: Pipeline | undefined;
  const client = new Client({ connectionString: databaseUrl });
  try {
    const tenants = await createBenchTenants(databaseUrl, o.tenants);
    const totalS = o.warmupS + o.durationS;
    const batches = revlintBatches(Math.ceil((o.rate * MIX.batch * totalS) / BATCH) + 10, BATCH);
    log(`starting the pipeline (${PIPELINE_APPS.map((a) => a.name).join(', ')})`);
    pipeline = await startPipeline({
      KAFKA_BROKERS: o.brokers,
      DATABASE_URL: databaseUrl,
      KAFKA_TOPIC_PREFIX: prefix,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    });
    const gatewayPid = pipeline.children.get('gateway')!.pid!;
    await client.connect();

    const agent = new Agent({ keepAlive: true, maxSockets: 256 });
    const port = pipeline.ports.PORT;
    const status: Record<string, number> = {};
    let errors = 0;
    let acknowledged = 0;
    const httpLatencies: number[] = [];
    const samples: Sample[] = [];
    const pending = new Set<Sample>();
    let inFlight = 0;
    let responses = 0;
    let lastError = '';
    let measuring = false;

    const send = (path: string, headers: Record<string, string>, body: string, events: number, sample?: Omit<Sample, 'respondedAt'>): void => {
      const sentAt = performance.now();
      const measured = measuring;
      inFlight++;
      const req = request({ host: '127.0.0.1', port, method: 'POST', path, agent, headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
        res.resume();
        res.on('end', () => {
          inFlight--;
          const at = performance.now();
          const code = res.statusCode ?? 0;
          responses++;
          if (!measured) return;
          status[code] = (status[code] ?? 0) + 1;
          httpLatencies.push(at - sentAt);
          if (code >= 200 && code < 300) {
            acknowledged += events;
            if (sample) {
              const s: Sample = { ...sample, respondedAt: at };
              samples.push(s);
              pending.add(s);
            }
          }
        });
      });
      req.on('error', (error) => {
        inFlight--;
        lastError = error.message;
        if (measured) errors++;
      });
      req.end(body);
    };

    const tenantOf = (i: number): BenchTenant => tenants[i % tenants.length]!;
    const sent: Record<Kind, number> = { batch: 0, revenium: 0, pulsoraRevenue: 0, revnu: 0, valued: 0, pageview: 0 };
    const fire: Record<Kind, (i: number) => void> = {
      batch: (i) => send('/api/v1/events/product', { authorization: `Bearer ${tenantOf(i).ingest}` }, batches[i % batches.length]!, BATCH),
      revenium: (i) => {
        const t = tenantOf(i);
        const body = reveniumMeter(i);
        const parsed = JSON.parse(body) as { transactionId: string; subscriberCredential: string };
        send('/meter/v2/events', { 'x-api-key': t.ingest }, body, 1, { readModel: 'metering', tenantId: t.tenantId, customerId: parsed.subscriberCredential, key: `revenium:${parsed.transactionId}` });
      },
      pulsoraRevenue: (i) => {
        const t = tenantOf(i);
        const body = pulsoraRevenue(i);
        const parsed = JSON.parse(body) as { data: { transaction_id: string } };
        send('/api/ingest', { 'x-api-token': t.secret }, body, 1, { readModel: 'billing', tenantId: t.tenantId, customerId: '', key: `billing|${t.tenantId}|pulsora-txn:${parsed.data.transaction_id}` });
      },
      revnu: (i) => send('/api/v1/usage', { authorization: `Bearer ${tenantOf(i).ingest}` }, revnuUsage(i), 1),
      valued: (i) => send('/events', { authorization: `Bearer ${tenantOf(i).ingest}` }, valuedRevenue(i), 1),
      pageview: (i) => send('/api/ingest', { 'x-api-token': tenantOf(i).public }, pulsoraPageview(i), 1),
    };
    const requestsPerSecond = (kind: Kind): number => (o.rate * MIX[kind]) / (kind === 'batch' ? BATCH : 1);

    log(`open-loop ${o.rate.toLocaleString('en-US')} events/s: ${o.warmupS} s warm-up, then ${o.durationS} s measured`);
    let loadDone = false;
    let drainDeadline = Infinity;
    const poller = pollVisibility(client, pending, o.pollMs, () => loadDone && (pending.size === 0 || performance.now() > drainDeadline));
    const started = performance.now();
    let measureStarted = started;
    const rssBefore = procStats(gatewayPid);
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const elapsed = (performance.now() - started) / 1000;
        if (!measuring && elapsed >= o.warmupS) {
          measuring = true;
          measureStarted = performance.now();
        }
        if (elapsed >= totalS) {
          clearInterval(timer);
          return resolve();
        }
        for (const kind of Object.keys(MIX) as Kind[]) {
          const due = Math.floor(elapsed * requestsPerSecond(kind));
          while (sent[kind] < due) fire[kind](sent[kind]++);
        }
      }, 5);
    });
    const measuredS = (performance.now() - measureStarted) / 1000;
    log(`load sent: ${JSON.stringify(sent)}; ${responses} responses so far, ${inFlight} in flight${lastError ? `; last error: ${lastError}` : ''}`);
    while (inFlight > 0 && performance.now() - started < (totalS + o.drainS) * 1000) await sleep(20);
    drainDeadline = performance.now() + o.drainS * 1000;
    loadDone = true;
    await poller;
    agent.destroy();
    const gatewayPeakRssMiB = Math.round(Math.max(rssBefore.peakRssMiB, procStats(gatewayPid).peakRssMiB));

    const latencies = (of: Sample[]): number[] => of.map((s) => (s.visibleAt === undefined ? Infinity : s.visibleAt - s.respondedAt)).sort((a, b) => a - b);
    const all = latencies(samples);
    const round = (x: number): number => (Number.isFinite(x) ? Math.round(x) : x);
    const byReadModel = Object.fromEntries(
      (['metering', 'billing'] as const).map((m) => {
        const of = samples.filter((s) => s.readModel === m);
        const l = latencies(of);
        return [m, { samples: of.length, visible: of.filter((s) => s.visibleAt !== undefined).length, p50: round(quantile(l, 0.5)), p99: round(quantile(l, 0.99)) }];
      }),
    ) as E2eResult['byReadModel'];
    httpLatencies.sort((a, b) => a - b);
    const offered = Math.round(((sent.batch * BATCH + sent.revenium + sent.pulsoraRevenue + sent.revnu + sent.valued + sent.pageview) / totalS));
    const latencyMs = { p50: round(quantile(all, 0.5)), p90: round(quantile(all, 0.9)), p99: round(quantile(all, 0.99)), max: round(quantile(all, 1)) };
    const visible = samples.filter((s) => s.visibleAt !== undefined).length;
    const fmt = (x: number): string => (Number.isFinite(x) ? `${x} ms` : `> ${o.drainS} s (not visible)`);
    const met = Number.isFinite(latencyMs.p99) && latencyMs.p99 <= 1_000;
    const loadAverage = loadavg().map((x) => Number(x.toFixed(2)));
    const acknowledgedEventsPerSecond = Math.round(acknowledged / measuredS);
    log(`acknowledged ${acknowledgedEventsPerSecond} events/s; visible p50 ${fmt(latencyMs.p50)}, p99 ${fmt(latencyMs.p99)} over ${samples.length} sampled events (${visible} seen)`);
    const report: BenchReport = {
      title: 'End to end: from the HTTP response to the row in the read model',
      date: new Date().toISOString(),
      machine: `${machineDescription()}; load average at the end ${loadAverage.join(', ')}`,
      command: `npm run bench:e2e -- --rate ${o.rate} --duration ${o.durationS}`,
      figures: [
        {
          stage: 'end to end',
          metric: 'HTTP 2xx → row visible in the read model, p99',
          value: Number.isFinite(latencyMs.p99) ? latencyMs.p99 : o.drainS * 1000,
          unit: 'ms',
          target: '≤ 1,000 ms',
          notes: `${met ? 'met' : 'NOT met'}${acknowledgedEventsPerSecond < 0.9 * offered ? ' (the rate was NOT sustained: the gateway acknowledged less than 90% of it)' : ''}; p50 ${fmt(latencyMs.p50)}, p90 ${fmt(latencyMs.p90)}, max ${fmt(latencyMs.max)}; ${visible}/${samples.length} sampled events seen; polled every ${o.pollMs} ms`,
        },
        { stage: 'end to end', metric: 'events acknowledged during the measurement', value: acknowledgedEventsPerSecond, unit: 'events/s', notes: `offered ${offered} events/s open-loop; HTTP p50 ${Math.round(quantile(httpLatencies, 0.5))} ms, p99 ${Math.round(quantile(httpLatencies, 0.99))} ms; ${JSON.stringify(status)}; ${errors} errors` },
        ...(['metering', 'billing'] as const).map((m) => ({
          stage: 'end to end',
          metric: m === 'metering' ? 'Revenium meter → metering.usage_ledger, p50' : 'Pulsora revenue → billing (processed_keys, same transaction as its rows), p50',
          value: Number.isFinite(byReadModel[m].p50) ? byReadModel[m].p50 : o.drainS * 1000,
          unit: 'ms',
          notes: `p99 ${fmt(byReadModel[m].p99)}; ${byReadModel[m].visible}/${byReadModel[m].samples} seen`,
        })),
        { stage: 'end to end', metric: 'gateway peak RSS', value: gatewayPeakRssMiB, unit: 'MiB' },
      ],
      details: { options: o, mix: MIX, sent, measuredSeconds: Number(measuredS.toFixed(1)), latencyMs, byReadModel, loadAverage },
    };
    if (o.write) log(`written to ${writeReport(`e2e-${today()}`, report)}`);
    return {
      offeredEventsPerSecond: offered,
      acknowledgedEventsPerSecond,
      samples: samples.length,
      visible,
      latencyMs,
      byReadModel,
      httpLatencyMs: { p50: Math.round(quantile(httpLatencies, 0.5)), p99: Math.round(quantile(httpLatencies, 0.99)) },
      status,
      errors,
      gatewayPeakRssMiB,
      loadAverage,
      report,
    };
  } finally {
    await client.end().catch(() => undefined);
    await pipeline?.stop();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: topics.all, timeout: 30_000 }).catch(() => undefined);
    await admin.disconnect();
    await dropDatabase(databaseUrl).catch(() => undefined);
  }
}

export const e2eDefaults = (quick: boolean): E2eOptions => ({
  rate: 5_000,
  durationS: quick ? 10 : 30,
  warmupS: quick ? 3 : 5,
  drainS: quick ? 15 : 30,
  pollMs: 25,
  tenants: 50,
  brokers: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
  baseDatabaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/revstream',
  write: true,
});

if (require.main === module) {
  const options = new Command('bench-e2e')
    .description('the whole pipeline under an open-loop HTTP load: from the 2xx response to the row in the read model')
    .option('--quick', 'a short run', false)
    .option('--rate <n>', 'events/s offered', (v) => Number(v))
    .option('--duration <s>', 'seconds measured', (v) => Number(v))
    .parse()
    .opts<{ quick: boolean; rate?: number; duration?: number }>();
  const o = e2eDefaults(options.quick);
  runToExit('bench:e2e', run({ ...o, rate: options.rate ?? o.rate, durationS: options.duration ?? o.durationS }));
}
