/**
 * `npm run bench [-- --quick] [-- --only <stages>]`: every benchmark in one sequence against the real
 * broker and Postgres, each stage beside the physical limit it is bounded by, measured in the same
 * run, and one table: stage, our figure, the limit, the ratio, the target, met or not. Writes
 * bench/results/<YYYY-MM-DD>.{md,json} (`--quick`: <YYYY-MM-DD>-quick.*). The stages are the
 * `bench:<stage>` modules' exported run(options); their own per-stage files are not rewritten.
 *
 * Limits: Kafka's own ProducerPerformance / ConsumerPerformance (kafka-tools, acks=all) with records
 * the size of our envelopes; Postgres's raw insert rate (unnest or COPY) for the rows each projector
 * writes (measured inside the billing and metering stages); the partition reader alone for replay.
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { DEFAULT_REPLAY_BATCH, DEFAULT_REPLAY_BULK_MAX } from '@revstream/projections';
import { projectRoot } from '../../tools/shared/project-root';
import { DEPLOYED_BATCH, DEPLOYED_FETCH_BYTES, run as runBilling } from '../billing/main';
import { run as runCohorts } from '../cohorts/main';
import { e2eDefaults, run as runE2e } from '../e2e/main';
import { envelopeSize, ingestOptionsFromEnv, run as runIngest } from '../ingest/main';
import { type LimitsResult, run as runLimits } from '../limits/main';
import { run as runMetering } from '../metering/main';
import { run as runReplay } from '../replay/main';
import { type BenchReport, machineDescription, today, writeReport } from '../shared/results';
import { runToExit } from '../shared/run-to-exit';

const STAGES = ['limits', 'ingest', 'billing', 'metering', 'cohorts', 'replay', 'e2e'] as const;
type Stage = (typeof STAGES)[number];

/** One line of the summary table. */
interface Row {
  stage: string;
  figure: string;
  value: number;
  unit: string;
  limit?: { name: string; value: number; unit: string };
  ratio?: number;
  target?: string;
  met?: boolean;
  notes?: string;
}

interface StageRun {
  stage: Stage;
  seconds: number;
  loadAverageBefore: number[];
  loadAverageAfter: number[];
  error?: string;
}

const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);
const load = (): number[] => loadavg().map((x) => Number(x.toFixed(2)));
const fmt = (n: number): string => (Number.isInteger(n) ? n.toLocaleString('en-US') : n.toLocaleString('en-US', { maximumFractionDigits: 1 }));
const MB_PER_MIB = 1.048576;

function renderSummary(title: string, command: string, rows: Row[], runs: StageRun[], totalSeconds: number): string {
  const met = (r: Row): string => (r.met === undefined ? '' : r.met ? 'yes' : '**no**');
  return [
    `# ${title}`,
    '',
    `- date: ${new Date().toISOString()}`,
    `- machine: ${machineDescription()} (shared: Kafka, Postgres and other work run on it; figures are noisy)`,
    `- command: \`${command}\`, ${Math.round(totalSeconds)} s in all`,
    '',
    '| stage | our figure | limit (same run) | ratio | target | met? | notes |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) =>
      [
        '',
        `${r.stage}: ${r.figure}`,
        `${fmt(r.value)} ${r.unit}`,
        r.limit ? `${fmt(r.limit.value)} ${r.limit.unit} (${r.limit.name})` : '',
        r.ratio !== undefined ? `${(100 * r.ratio).toFixed(1)}%` : '',
        r.target ?? '',
        met(r),
        r.notes ?? '',
        '',
      ].join(' | ').trim(),
    ),
    '',
    '| stage run | seconds | load average before | after | error |',
    '|---|---|---|---|---|',
    ...runs.map((s) => `| ${s.stage} | ${Math.round(s.seconds)} | ${s.loadAverageBefore.join(', ')} | ${s.loadAverageAfter.join(', ')} | ${s.error ?? ''} |`),
    '',
    'Each stage\'s own figures (latencies, CPU per event, the raw inserts by method) are in the .json beside this file.',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const opts = new Command('bench')
    .description('every benchmark against the real broker and Postgres, each beside its limit measured in the same run')
    .option('--quick', 'small event counts: the whole sequence in under 3 minutes', false)
    .option('--only <stages>', `comma-separated subset of ${STAGES.join(',')}`)
    .parse()
    .opts<{ quick: boolean; only?: string }>();
  const quick = opts.quick;
  const only = opts.only ? opts.only.split(',').map((s) => s.trim()) : [...STAGES];
  for (const s of only) if (!(STAGES as readonly string[]).includes(s)) throw new Error(`--only: unknown stage '${s}' (stages: ${STAGES.join(', ')})`);
  const selected = STAGES.filter((s) => only.includes(s));
  const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
  const baseDatabaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/revstream';
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  log(`stages: ${selected.join(', ')}${quick ? ' (quick)' : ''}; uptime: ${execFileSync('uptime', { encoding: 'utf8' }).trim()}`);

  const rows: Row[] = [];
  const runs: StageRun[] = [];
  const details: Record<string, unknown> = {};
  const started = process.hrtime.bigint();
  let limits: LimitsResult | undefined;

  const stages: Record<Stage, () => Promise<void>> = {
    limits: async () => {
      const recordSize = envelopeSize();
      limits = await runLimits({ brokers, records: quick ? 300_000 : 1_000_000, recordSize, partitions: 6 });
      details.limits = limits;
      rows.push(
        { stage: 'Kafka', figure: 'ProducerPerformance, acks=all, idempotent', value: Math.round(limits.producer.recordsPerSec), unit: 'records/s', notes: `${recordSize} B records (our envelopes' mean size), ${fmt(limits.producer.records)} records; p50 ${limits.producer.p50Ms} ms, p99 ${limits.producer.p99Ms} ms` },
        { stage: 'Kafka', figure: 'ConsumerPerformance', value: Math.round(limits.consumer.recordsPerSec), unit: 'records/s', notes: `the same ${fmt(limits.consumer.records)} records; ${limits.consumer.mbPerSec} MB/s` },
      );
    },
    ingest: async () => {
      const o = { ...ingestOptionsFromEnv(), write: false, brokers, baseDatabaseUrl };
      // As `npm start` runs the gateway: its identity projection in its own worker. The full run adds the in-process mode.
      const options = quick ? { ...o, durationS: 10, warmupS: 3, modes: ['off' as const] } : { ...o, modes: ['off' as const, 'on' as const] };
      const result = await runIngest(options, limits?.producer);
      details.ingest = result.report;
      const limit = { name: `Kafka ProducerPerformance, acks=all, ${result.limit.recordSize} B`, value: Math.round(result.limit.recordsPerSec), unit: 'records/s' };
      for (const outcome of result.outcomes) {
        const mode = outcome.identityProjection === 'off' ? 'gateway as npm start runs it' : 'gateway with its identity projection in-process';
        const ratio = outcome.eventsPerSecond / result.limit.recordsPerSec;
        const [batch, single] = outcome.phases;
        rows.push(
          { stage: 'ingest', figure: `events acknowledged, ${mode}`, value: outcome.eventsPerSecond, unit: 'events/s', limit, ratio, target: '≥ 20,000 events/s and ≥ 30% of the limit', met: outcome.eventsPerSecond >= 20_000 && ratio >= 0.3, notes: `${fmt(outcome.eventsAccepted)} events in ${outcome.durationSeconds} s, ${fmt(outcome.eventsOnTopics)} records reached the topics; ${outcome.gateway.cpuMicrosecondsPerEvent} µs gateway CPU per event` },
          { stage: 'ingest', figure: `request latency p50, ${batch!.name}`, value: batch!.latencyMs.p50, unit: 'ms', notes: `p99 ${batch!.latencyMs.p99} ms, ${batch!.connections} connections` },
          { stage: 'ingest', figure: `request latency p50, ${single!.name}`, value: single!.latencyMs.p50, unit: 'ms', notes: `p99 ${single!.latencyMs.p99} ms, ${single!.connections} connections` },
          { stage: 'ingest', figure: `gateway peak RSS (VmHWM), ${mode}`, value: Math.round(outcome.gateway.peakRssMiB * MB_PER_MIB), unit: 'MB', target: '≤ 200 MB', met: outcome.gateway.peakRssMiB * MB_PER_MIB <= 200, notes: `${outcome.gateway.peakRssMiB} MiB` },
        );
      }
    },
    billing: async () => {
      // As npm start runs the app (one process), then two processes in one consumer group (scale-out).
      for (const instances of [1, 2]) {
        const r = await runBilling({ events: quick ? 20_000 : 1_000_000, tenants: 5, eventsPerCustomer: 10, partitions: 6, concurrency: 3, batch: DEPLOYED_BATCH, fetchBytes: DEPLOYED_FETCH_BYTES, documentCache: 0, instances, interleave: 'round-robin', keep: false, write: false });
        if (instances === 1) details.billing = r;
        else details.billingScaleOut = r;
        rows.push({
          stage: 'billing projector',
          figure: instances === 1 ? 'events/s from a preloaded topic (the billing app as npm start runs it)' : 'events/s from a preloaded topic, two billing app processes in one consumer group (scale-out)',
          value: r.projection.eventsPerSecond,
          unit: 'events/s',
          limit: { name: 'Postgres unnest insert of the same rows, as events/s', value: r.baseline.eventsPerSecondEquivalent, unit: 'events/s' },
          ratio: r.ratio,
          target: '≥ 20,000 events/s',
          met: r.projection.eventsPerSecond >= 20_000,
          notes: `${fmt(r.events)} events; ${fmt(r.baseline.rows)} rows at ${fmt(r.baseline.rowsPerSecond)} rows/s; time from the processes' spawn, boot included`,
        });
      }
    },
    metering: async () => {
      const r = await runMetering({ events: quick ? 50_000 : 1_000_000, customers: quick ? 5_000 : 20_000, partitions: 6, batch: 20_000, fetchBytes: 8 * 1024 * 1024, concurrency: 6, seed: 42, keep: false, profile: false, write: false }); // as the metering app runs (tools/start/pipeline-apps.ts)
      details.metering = r.report;
      rows.push({
        stage: 'metering projector',
        figure: 'events/s from a preloaded topic (ProjectionRunner)',
        value: Math.round(r.eventsPerSecond),
        unit: 'events/s',
        limit: { name: `Postgres ${r.rawMethod === 'copy' ? 'COPY' : 'unnest'} of the same ledger rows, as events/s`, value: Math.round(r.rawEventsPerSecond), unit: 'events/s' },
        ratio: r.ratio,
        target: '≥ 50,000 events/s',
        met: r.eventsPerSecond >= 50_000,
        notes: `${fmt(r.records)} usage records`,
      });
    },
    cohorts: async () => {
      const r = await runCohorts({ customers: quick ? 100 : 500, days: quick ? 30 : 90, eventsPerDay: 4, batch: 1_000, baseDatabaseUrl, write: false });
      details.cohorts = r;
      rows.push({
        stage: 'cohorts projector',
        figure: 'events/s through the real adapter (one tenant document, no Kafka)',
        value: r.postgres.eventsPerSecond,
        unit: 'events/s',
        notes: `${fmt(r.workload.events)} events; no target in the issue; pure fold alone ${fmt(r.pure.foldEventsPerSecond)} events/s; transaction p50 ${r.postgres.transactionMsP50} ms`,
      });
    },
    replay: async () => {
      const r = await runReplay({ events: quick ? 50_000 : 1_000_000, customers: quick ? 5_000 : 20_000, partitions: 6, seed: 42, keep: false, live: false, batch: DEFAULT_REPLAY_BATCH, concurrency: 4, bulkMax: DEFAULT_REPLAY_BULK_MAX, write: false });
      details.replay = r.report;
      rows.push({
        stage: 'replay (metering)',
        figure: `rebuild of ${fmt(r.records)} records until swapped in: ${r.totalSeconds.toFixed(1)} s`,
        value: Math.round(r.eventsPerSecond),
        unit: 'events/s',
        limit: { name: 'the same partition reader reading the same records, doing nothing', value: Math.round(r.readRecordsPerSecond), unit: 'records/s' },
        ratio: r.eventsPerSecond / r.readRecordsPerSecond,
        target: '≥ 50,000 events/s',
        met: r.eventsPerSecond >= 50_000,
        notes: limits ? `Kafka ConsumerPerformance in this run: ${fmt(Math.round(limits.consumer.recordsPerSec))} records/s` : undefined,
      });
    },
    e2e: async () => {
      const r = await runE2e({ ...e2eDefaults(quick), brokers, baseDatabaseUrl, write: false });
      details.e2e = r.report;
      const p99 = Number.isFinite(r.latencyMs.p99) ? r.latencyMs.p99 : undefined;
      rows.push(
        {
          stage: 'end to end',
          figure: `HTTP 2xx → row in the read model, p99, at ${fmt(r.offeredEventsPerSecond)} events/s offered`,
          value: p99 ?? e2eDefaults(quick).drainS * 1000,
          unit: p99 === undefined ? 'ms (some never seen: above the drain)' : 'ms',
          target: '≤ 1,000 ms',
          met: p99 !== undefined && p99 <= 1_000,
          notes: `${r.acknowledgedEventsPerSecond < 0.9 * r.offeredEventsPerSecond ? 'the rate was NOT sustained (the gateway acknowledged less than 90% of it): not a measurement at this rate; ' : ''}p50 ${r.latencyMs.p50} ms; ${r.visible}/${r.samples} sampled events seen; metering p50/p99 ${r.byReadModel.metering.p50}/${r.byReadModel.metering.p99} ms, billing ${r.byReadModel.billing.p50}/${r.byReadModel.billing.p99} ms; ${fmt(r.acknowledgedEventsPerSecond)} events/s acknowledged; HTTP p50/p99 ${r.httpLatencyMs.p50}/${r.httpLatencyMs.p99} ms`,
        },
        { stage: 'end to end', figure: 'gateway peak RSS (VmHWM)', value: Math.round(r.gatewayPeakRssMiB * MB_PER_MIB), unit: 'MB', target: '≤ 200 MB', met: r.gatewayPeakRssMiB * MB_PER_MIB <= 200 },
      );
    },
  };

  for (const stage of selected) {
    const before = load();
    const t = process.hrtime.bigint();
    log(`— ${stage} (load average ${before.join(', ')})`);
    let error: string | undefined;
    try {
      await stages[stage]();
    } catch (e: unknown) {
      error = e instanceof Error ? e.message : String(e);
      log(`${stage} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      rows.push({ stage, figure: 'FAILED', value: NaN, unit: '', notes: error });
    }
    runs.push({ stage, seconds: Number(process.hrtime.bigint() - t) / 1e9, loadAverageBefore: before, loadAverageAfter: load(), ...(error ? { error } : {}) });
  }
  const totalSeconds = Number(process.hrtime.bigint() - started) / 1e9;

  const name = `${today()}${quick ? '-quick' : ''}`;
  const title = `npm run bench${quick ? ' (quick)' : ''}: our figures beside the limits, measured in the same run`;
  const report: BenchReport = {
    title,
    date: new Date().toISOString(),
    machine: machineDescription(),
    command,
    figures: rows.map((r) => ({ stage: r.stage, metric: r.figure, value: r.value, unit: r.unit, target: r.target, limit: r.limit, ratio: r.ratio, notes: [r.met === undefined ? '' : r.met ? 'met' : 'NOT met', r.notes ?? ''].filter(Boolean).join('; ') })),
    details: { quick, stages: runs, totalSeconds: Math.round(totalSeconds), ...details },
  };
  writeReport(name, report);
  // The summary table replaces the generic rendering of the .md (the .json keeps everything).
  const md = join(projectRoot(), 'bench', 'results', `${name}.md`);
  writeFileSync(md, renderSummary(title, command, rows, runs, totalSeconds));
  process.stdout.write(`${renderSummary(title, command, rows, runs, totalSeconds)}\nwritten to ${md} and .json\n`);
  if (runs.some((r) => r.error)) process.exitCode = 1;
}

runToExit('bench', main());
