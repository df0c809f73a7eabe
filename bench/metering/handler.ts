import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Session } from 'node:inspector';
import { loadavg } from 'node:os';
import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { Client } from 'pg';
import { encodeEnvelope, Topics } from '@revstream/events';
import type { EventPublisher } from '@revstream/kafka';
import type { Kafka } from 'kafkajs';
import { createLogger } from '@revstream/observability';
import { createSchemaDataSource, dropDatabase, ensureDatabase, runMigrations } from '@revstream/persistence';
import { type LogRecord, type ProjectionHandler, ProjectionRunner, type ProjectionTx } from '@revstream/projections';
import { meteringApp } from '../../apps/metering/src/metering.app';
import { meteringHandler } from '../../apps/metering/src/metering.projection';
import { workload } from './workload';
import { processCpuTicks } from '../shared/proc';
import { startCpuProfiler } from '../shared/cpu-profiler';
import { runToExit } from '../shared/run-to-exit';

/**
 * `node dist/bench/metering/handler.js`: the metering handler and the runner's transaction, without
 * Kafka: the benchmark's workload encoded as records in memory, applied with
 * `ProjectionRunner.applyRecords` one partition batch after another (one connection), with the time
 * each of the handler's statements took from send to answer, and the CPU of Node and of the backend.
 * A tool for iterating on the handler's cost per event; `npm run bench:metering` is the figure.
 * `PROFILE=<file>` writes a CPU profile of the apply phase; `HEAP_PROFILE=<file>` a sampling
 * allocation profile (collected objects included), for DevTools' Memory tab.
 */
interface Options {
  events: number;
  customers: number;
  partitions: number;
  batch: number;
  seed: number;
  keep: boolean;
}

const log = (line: string): void => void process.stderr.write(`${line}\n`);

function timed(handler: ProjectionHandler, times: Map<string, { n: number; ms: number; rows: number }>): ProjectionHandler {
  return {
    ...handler,
    apply: (events, tx) => {
      const wrapped: ProjectionTx = {
        schema: tx.schema,
        query: async <T extends object>(sql: string, params?: readonly unknown[]): Promise<T[]> => {
          const name = sql.replace(/\s+/g, ' ').trim().slice(0, 60);
          const t0 = process.hrtime.bigint();
          try {
            return await tx.query<T>(sql, params);
          } finally {
            const e = times.get(name) ?? { n: 0, ms: 0, rows: 0 };
            e.n++;
            const first = params?.[0];
            e.rows += Array.isArray(first) ? first.length : Buffer.isBuffer(first) && first.readInt32BE(0) === 1 ? first.readInt32BE(12) : 0;
            e.ms += Number(process.hrtime.bigint() - t0) / 1e6;
            times.set(name, e);
          }
        },
        copyFrom: (sql, data) => tx.copyFrom(sql, data),
        onRollback: (undo) => tx.onRollback(undo),
        onCommit: (effect) => tx.onCommit(effect),
      };
      return handler.apply(events, wrapped);
    },
  };
}

async function main(options: Options): Promise<void> {
  const base = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/revstream');
  base.pathname = `/rs_bench_mhandler_${randomBytes(3).toString('hex')}`;
  const url = base.toString();
  await ensureDatabase(url);
  const ds = createSchemaDataSource({ url, schema: meteringApp.schema, migrations: meteringApp.migrations, poolSize: 2 });
  await runMigrations(ds, url);
  const topics = new Topics('bench_mhandler');
  const times = new Map<string, { n: number; ms: number; rows: number }>();
  const runner = new ProjectionRunner({
    kafka: undefined as unknown as Kafka,
    dataSource: ds,
    topics,
    handler: timed(meteringHandler(), times),
    publisher: undefined as unknown as EventPublisher,
    logger: createLogger('bench-metering-handler', 'warn'),
  });
  try {
    const w = workload({ events: options.events, customers: options.customers, seed: options.seed });
    const partitionOf = (key: string): number => {
      let h = 0;
      for (let i = 0; i < key.length; i++) h = (Math.imul(h, 31) + key.charCodeAt(i)) | 0;
      return Math.abs(h) % options.partitions;
    };
    const toRecords = (envelopes: ReturnType<typeof w.usage>): Map<string, LogRecord[]> => {
      const out = new Map<string, LogRecord[]>();
      for (const e of envelopes) {
        const r = encodeEnvelope(e);
        const topic = topics.name(`raw.${e.source}` as never);
        const k = `${topic}\u0000${partitionOf(r.key)}`;
        const list = out.get(k) ?? [];
        list.push({ offset: String(list.length), key: r.key, value: Buffer.from(r.value) });
        out.set(k, list);
      }
      return out;
    };
    for (const [k, records] of toRecords(w.setup)) {
      const [topic, partition] = k.split('\u0000');
      for (let i = 0; i < records.length; i += options.batch) await runner.applyRecords(topic!, Number(partition), records.slice(i, i + options.batch));
    }
    times.clear();
    const usage = toRecords(w.usage(0, options.events));
    // offsets continue after the setup's
    const client = new Client({ connectionString: url });
    await client.connect();
    const backendTicks = async (): Promise<number> => {
      const { rows } = await client.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`);
      let sum = 0;
      for (const { pid } of rows) sum += processCpuTicks(pid) ?? 0; // 0: gone
      return sum;
    };
    const setupCount = new Map<string, number>();
    for (const [k, r] of toRecords(w.setup)) setupCount.set(k, r.length);
    const load = loadavg().map((l) => l.toFixed(2)).join(' ');
    const session = new Session();
    const post = (method: string, params?: object): Promise<unknown> =>
      new Promise((resolve, reject) => session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result))));
    if (process.env.HEAP_PROFILE) {
      session.connect();
      await post('HeapProfiler.enable');
      await post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMinorGC: true, includeObjectsCollectedByMajorGC: true });
    }
    const profileFile = process.env.PROFILE;
    const profiler = profileFile ? await startCpuProfiler() : undefined;
    const pg0 = await backendTicks();
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const batches: Array<[string, number, LogRecord[]]> = [];
    for (const [k, records] of usage) {
      const [topic, partition] = k.split('\u0000');
      const shift = setupCount.get(k) ?? 0;
      const shifted = records.map((r) => ({ ...r, offset: String(Number(r.offset) + shift) }));
      for (let i = 0; i < shifted.length; i += options.batch) batches.push([topic!, Number(partition), shifted.slice(i, i + options.batch)]);
    }
    // round-robin over partitions, as a consumer would
    batches.sort((a, b) => Number(a[2][0]!.offset) - Number(b[2][0]!.offset));
    for (const [topic, partition, records] of batches) await runner.applyRecords(topic, partition, records);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    const pg = ((await backendTicks()) - pg0) / 100;
    if (process.env.HEAP_PROFILE) {
      const { profile } = (await post('HeapProfiler.stopSampling')) as { profile: object };
      writeFileSync(process.env.HEAP_PROFILE, JSON.stringify(profile));
      session.disconnect();
    }
    if (profiler && profileFile) await profiler.stop(profileFile);
    await client.end();
    const n = options.events;
    log(`load ${load}; ${n} events in ${seconds.toFixed(2)} s = ${Math.round(n / seconds)} events/s (one connection, serial)`);
    log(`cpu: node ${((cpu.user + cpu.system) / n).toFixed(1)} us/event, postgres ${((pg * 1e6) / n).toFixed(1)} us/event`);
    for (const [name, t] of [...times].sort((a, b) => b[1].ms - a[1].ms)) log(`${((t.ms * 1000) / n).toFixed(2).padStart(7)} us/event ${String(t.n).padStart(5)}x ${(t.rows / n).toFixed(3).padStart(6)} rows/event  ${name}`);
    const [counts] = (await ds.query(
      `SELECT (SELECT count(*) FROM metering.usage_ledger)::int AS ledger, (SELECT count(*) FROM metering.usage)::int AS periods,
              (SELECT count(*) FROM metering.charges WHERE amount IS NOT NULL)::int AS charged, (SELECT count(*) FROM metering.adjustments)::int AS adjustments,
              (SELECT md5(string_agg(u::text, ',' ORDER BY tenant_id, customer_id, meter, period_start)) FROM metering.usage u) AS usage_md5,
              (SELECT md5(string_agg(c::text, ',' ORDER BY tenant_id, customer_id, meter, period_start)) FROM metering.charges c) AS charges_md5,
              (SELECT md5(string_agg(l::text, ',' ORDER BY tenant_id, customer_id, dedup_key, meter)) FROM metering.usage_ledger l) AS ledger_md5`,
    )) as Array<Record<string, unknown>>;
    log(JSON.stringify(counts));
  } finally {
    await ds.destroy().catch(() => undefined);
    if (options.keep) log(`kept ${url}`);
    else await dropDatabase(url);
  }
}

new Command('bench-metering-handler')
  .option('--events <n>', 'usage events', (v) => Number(v), 200_000)
  .option('--customers <n>', 'customers across the tenants', (v) => Number(v), 20_000)
  .option('--partitions <n>', 'partitions', (v) => Number(v), 6)
  .option('--batch <n>', 'records per transaction', (v) => Number(v), 5_000)
  .option('--seed <n>', 'workload seed', (v) => Number(v), 42)
  .option('--keep', 'keep the database', false)
  .action((options: Options) => runToExit('bench/metering/handler', main(options)))
  .parse(process.argv);
