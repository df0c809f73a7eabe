import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeEnvelope, toEnvelope, Topics } from '@revstream/events';
import { createLogger } from '@revstream/observability';
import { createSchemaDataSource, dropDatabase, ensureDatabase, runMigrations } from '@revstream/persistence';
import { type LogRecord, ProjectionRunner } from '@revstream/projections';
import { type CohortEvent, emptyTenantFacts, recordEvent, scoreTenant } from '@revstream/scoring';
import type { EventPublisher } from '@revstream/kafka';
import { cohortsApp } from '../../apps/cohorts/src/cohorts.app';
import { limitReport, pageview, planItem, planSync, premiumUse, productEvent, tick, valuedSnapshot } from '../../libs/scoring/src/testing/cohort-events';
import { runToExit } from '../shared/run-to-exit';

/**
 * `npm run bench:cohorts`: what one tenant's document costs the cohort scorer. A tenant of
 * BENCH_CUSTOMERS paying accounts with BENCH_DAYS days of product events (BENCH_EVENTS_PER_DAY per
 * active account-day, 70% of account-days active), limit reports, premium use and a daily tick:
 *  - pure: recordEvent throughput, the state's JSON size, and scoreTenant (the render) time;
 *  - Postgres: the real adapter (documentProjectionHandler + ProjectionRunner.applyRecords, no Kafka)
 *    folding the same events in transactions of BENCH_BATCH records: events/s and ms per transaction.
 * Writes bench/results/cohorts-<date>.{md,json}.
 */
const env = (name: string, fallback: number): number => (process.env[name] ? Number(process.env[name]) : fallback);

export interface CohortsOptions {
  customers: number;
  days: number;
  eventsPerDay: number;
  batch: number;
  baseDatabaseUrl: string;
  /** Write bench/results/cohorts-<date>.{md,json}. */
  write: boolean;
}

export function cohortsOptionsFromEnv(): CohortsOptions {
  return {
    customers: env('BENCH_CUSTOMERS', 500),
    days: env('BENCH_DAYS', 90),
    eventsPerDay: env('BENCH_EVENTS_PER_DAY', 4),
    batch: env('BENCH_BATCH', 1000),
    baseDatabaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/revstream',
    write: true,
  };
}
const log = (line: string): void => void process.stderr.write(`[bench:cohorts] ${line}\n`);

/** A deterministic pseudo-random sequence, so every run benches the same workload. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function workload({ customers: CUSTOMERS, days: DAYS, eventsPerDay: PER_DAY }: CohortsOptions): CohortEvent[] {
  const rnd = lcg(42);
  const start = Date.parse('2026-01-01T00:00:00.000Z');
  const at = (day: number, ms: number): string => new Date(start + day * 86_400_000 + ms).toISOString();
  const events: CohortEvent[] = [planSync('starter', 1000, at(0, 0)), planSync('team', 5000, at(0, 0)), planSync('pro', 10000, at(0, 0))];
  const plans: Array<[string, number]> = [['starter', 1000], ['team', 5000], ['pro', 10000]];
  for (let c = 0; c < CUSTOMERS; c++) {
    const [plan, price] = plans[c % 3]!;
    events.push(valuedSnapshot(`cus_${c}`, at(0, 1000), 'active', [planItem(plan, price)]));
  }
  for (let d = 0; d < DAYS; d++) {
    for (let c = 0; c < CUSTOMERS; c++) {
      if (rnd() > 0.7) continue;
      for (let k = 0; k < PER_DAY; k++) events.push(k % 2 === 0 ? productEvent(`cus_${c}`, at(d, Math.floor(rnd() * 86_400_000))) : pageview(`cus_${c}`, at(d, Math.floor(rnd() * 86_400_000))));
      if (rnd() < 0.05) events.push(limitReport(`cus_${c}`, at(d, 43_200_000), Math.floor(rnd() * 100), 100));
      if (rnd() < 0.02) events.push(premiumUse(`cus_${c}`, at(d, 50_000_000)));
    }
    events.push(tick(at(d + 1, 0)));
  }
  return events;
}

const ms = (from: bigint): number => Number(process.hrtime.bigint() - from) / 1e6;

export interface CohortsResult {
  date: string;
  workload: { customers: number; days: number; eventsPerActiveDay: number; events: number; batch: number };
  pure: { foldEventsPerSecond: number; stateKiB: number; scoreTenantMs: number; jsonRoundTripMs: number; memberships: number };
  postgres: { eventsPerSecond: number; transactions: number; transactionMsP50: number; transactionMsMax: number; memberships: number };
}

/** The pure fold and the real adapter over one tenant's events (see above). */
export async function run(options: CohortsOptions): Promise<CohortsResult> {
  const { customers: CUSTOMERS, days: DAYS, eventsPerDay: PER_DAY, batch: BATCH } = options;
  const events = workload(options);
  log(`${events.length} events, ${CUSTOMERS} customers, ${DAYS} days`);

  let t = process.hrtime.bigint();
  const facts = events.reduce(recordEvent, emptyTenantFacts());
  const foldMs = ms(t);
  const stateBytes = Buffer.byteLength(JSON.stringify(facts));
  t = process.hrtime.bigint();
  const scores = scoreTenant(facts);
  const scoreMs = ms(t);
  t = process.hrtime.bigint();
  const reparsed = JSON.parse(JSON.stringify(facts));
  const jsonRoundTripMs = ms(t);
  void reparsed;
  log(`pure: fold ${foldMs.toFixed(0)} ms, state ${(stateBytes / 1024).toFixed(0)} KiB, score ${scoreMs.toFixed(0)} ms, ${scores.memberships.length} memberships`);

  const url = new URL(options.baseDatabaseUrl);
  url.pathname = `/rs_bench_cohorts_${Date.now().toString(36)}`;
  await ensureDatabase(url.toString());
  const ds = createSchemaDataSource({ url: url.toString(), schema: cohortsApp.schema, migrations: cohortsApp.migrations });
  await runMigrations(ds, url.toString());
  const noPublisher = { publishRecords: async () => undefined } as unknown as EventPublisher;
  const runner = new ProjectionRunner({
    kafka: undefined as never,
    dataSource: ds,
    topics: new Topics('bench'),
    handler: cohortsApp.handlers[0]!,
    publisher: noPublisher,
    logger: createLogger('bench', 'warn'),
  });
  const records: LogRecord[] = events.map((e, i) => {
    const r = encodeEnvelope(toEnvelope(e));
    return { offset: String(i), key: r.key, value: r.value };
  });
  const transactions: number[] = [];
  t = process.hrtime.bigint();
  for (let i = 0; i < records.length; i += BATCH) {
    const one = process.hrtime.bigint();
    await runner.applyRecords('bench.all', 0, records.slice(i, i + BATCH));
    transactions.push(ms(one));
  }
  const dbMs = ms(t);
  const [{ n }] = (await ds.query(`SELECT count(*)::int AS n FROM cohorts.memberships`)) as Array<{ n: number }>;
  await ds.destroy();
  await dropDatabase(url.toString());
  transactions.sort((a, b) => a - b);
  const result: CohortsResult = {
    date: new Date().toISOString(),
    workload: { customers: CUSTOMERS, days: DAYS, eventsPerActiveDay: PER_DAY, events: events.length, batch: BATCH },
    pure: {
      foldEventsPerSecond: Math.round(events.length / (foldMs / 1000)),
      stateKiB: Math.round(stateBytes / 1024),
      scoreTenantMs: Math.round(scoreMs),
      jsonRoundTripMs: Math.round(jsonRoundTripMs),
      memberships: scores.memberships.length,
    },
    postgres: {
      eventsPerSecond: Math.round(events.length / (dbMs / 1000)),
      transactions: transactions.length,
      transactionMsP50: Math.round(transactions[Math.floor(transactions.length / 2)]!),
      transactionMsMax: Math.round(transactions[transactions.length - 1]!),
      memberships: n,
    },
  };
  if (options.write) {
    const dir = join(process.cwd(), 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const day = result.date.slice(0, 10);
    writeFileSync(join(dir, `cohorts-${day}.json`), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(
      join(dir, `cohorts-${day}.md`),
      [
        `# bench:cohorts, ${result.date}`,
        '',
        `One tenant: ${CUSTOMERS} paying accounts, ${DAYS} days, ${PER_DAY} product events per active account-day (70% active), limit reports, premium use, a daily tick: ${events.length} events.`,
        '',
        '| measure | value |',
        '|---|---|',
        `| pure fold (recordEvent) | ${result.pure.foldEventsPerSecond} events/s |`,
        `| tenant document (JSON) | ${result.pure.stateKiB} KiB |`,
        `| scoreTenant (one render) | ${result.pure.scoreTenantMs} ms |`,
        `| JSON round trip of the document | ${result.pure.jsonRoundTripMs} ms |`,
        `| Postgres, real adapter, ${BATCH} records per transaction | ${result.postgres.eventsPerSecond} events/s |`,
        `| transaction time p50 / max | ${result.postgres.transactionMsP50} / ${result.postgres.transactionMsMax} ms |`,
        `| memberships (rows) | ${result.postgres.memberships} |`,
        '',
      ].join('\n'),
    );
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  }
  return result;
}

if (require.main === module) {
  runToExit('bench:cohorts', run(cohortsOptionsFromEnv()));
}
