import { SingleBar } from 'cli-progress';
import { type Command, InvalidArgumentError } from 'commander';
import { CommonConfig, loadConfig } from '@revstream/config';
import { Topics } from '@revstream/events';
import { createKafka, EventPublisher } from '@revstream/kafka';
import { createLogger } from '@revstream/observability';
import { DEFAULT_REPLAY_BATCH, DEFAULT_REPLAY_BULK_MAX, type ReplayProgress, ReplayRefusedError, replayProjectionApp } from '@revstream/projections';
import { PROJECTION_APPS } from '../projection-apps';

function progressReporter(): { update: (p: ReplayProgress) => void; stop: () => void } {
  if (process.stdout.isTTY) {
    const bar = new SingleBar({
      format: '{phase} |{bar}| {value}/{total} events | {rate} events/s | ETA {eta_formatted}',
      hideCursor: true,
      etaBuffer: 50,
    });
    let startedAt = Date.now();
    let started = false;
    return {
      update: (p) => {
        const rate = Math.round(p.done / Math.max(0.001, (Date.now() - startedAt) / 1000));
        if (!started) {
          bar.start(p.total, p.done, { phase: p.phase, rate });
          startedAt = Date.now();
          started = true;
        } else {
          bar.setTotal(p.total);
          bar.update(p.done, { phase: p.phase, rate });
        }
      },
      stop: () => bar.stop(),
    };
  }
  const startedAt = Date.now();
  let lastLine = 0;
  let lastPhase: ReplayProgress['phase'] | undefined;
  return {
    update: (p) => {
      // A line when a phase starts, when it has done all it knew of, and every 2 s in between.
      if (p.phase === lastPhase && Date.now() - lastLine < 2_000 && p.done < p.total) return;
      lastLine = Date.now();
      lastPhase = p.phase;
      const seconds = (Date.now() - startedAt) / 1000;
      const rate = p.done / Math.max(0.001, seconds);
      const eta = rate > 0 ? Math.max(0, (p.total - p.done) / rate) : 0;
      process.stdout.write(`${p.phase}: ${p.done}/${p.total} events (${p.total ? Math.floor((100 * p.done) / p.total) : 100}%), ${Math.round(rate)} events/s, ETA ${Math.round(eta)} s\n`);
    },
    stop: () => undefined,
  };
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`must be a positive whole number, got ${JSON.stringify(value)}`);
  return n;
}

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`must be a whole number (0 or more), got ${JSON.stringify(value)}`);
  return n;
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('rebuild a projection from the topics into a shadow schema, catch up with live, and swap it in atomically')
    .argument('<projection>', `one of: ${PROJECTION_APPS.map((a) => a.name).join(', ')}`)
    .option('--verify', 'compare every table with the live one at the same log position; keep the live one on any difference')
    .option('--fresh', 'drop an earlier, unfinished rebuild instead of resuming it')
    .option('--batch <records>', 'records per rebuild transaction at most', positiveInteger, DEFAULT_REPLAY_BATCH)
    .option('--concurrency <partitions>', 'partitions rebuilt at once', positiveInteger, 4)
    .option('--bulk-max <records>', 'records the shadow may hold when its bulk phase ends (memory: about 100 bytes per usage reading); 0 turns bulk off', wholeNumber, DEFAULT_REPLAY_BULK_MAX)
    .action(async (name: string, opts: { verify?: boolean; fresh?: boolean; batch: number; concurrency: number; bulkMax: number }) => {
      const app = PROJECTION_APPS.find((a) => a.name === name);
      if (!app) {
        process.stderr.write(`unknown projection ${JSON.stringify(name)}; known: ${PROJECTION_APPS.map((a) => a.name).join(', ')}\n`);
        process.exitCode = 1;
        return;
      }
      const config = loadConfig(CommonConfig);
      const logger = createLogger('replay', process.env.LOG_LEVEL ?? 'warn');
      const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: `revstream-replay-${name}`, logger });
      const topics = new Topics(config.KAFKA_TOPIC_PREFIX);
      const publisher = new EventPublisher(kafka, topics, { publishTimeoutMs: 10_000, maxRecordsPerRequest: 5_000, compression: 'none', logger });
      const progress = progressReporter();
      try {
        const result = await replayProjectionApp({ app, databaseUrl: config.DATABASE_URL, kafka, topics, publisher, logger, verify: opts.verify ?? false, fresh: opts.fresh ?? false, maxRecordsPerTransaction: opts.batch, concurrency: opts.concurrency, bulkMaxRecords: opts.bulkMax, onProgress: progress.update });
        progress.stop();
        const rate = Math.round(result.records / Math.max(0.001, result.seconds));
        process.stdout.write(`${name}: rebuilt from ${result.records} records in ${result.seconds.toFixed(1)} s (${rate} records/s)${result.resumed ? ', resumed' : ''}\n`);
        if (opts.verify && !result.verified) process.stdout.write(`verify: there is no live ${app.schema} schema to compare with\n`);
        if (result.verified) {
          for (const c of result.compared) process.stdout.write(`  ${c.table.padEnd(28)} ${String(c.rows).padStart(9)} rows  md5 ${c.md5}\n`);
          if (result.differences.length === 0) process.stdout.write('verify: every table is identical to the live one\n');
          for (const d of result.differences) {
            process.stdout.write(`verify: ${d.table} differs: live ${d.live ? `${d.live.rows} rows md5 ${d.live.md5}` : 'missing'}, rebuilt ${d.rebuilt ? `${d.rebuilt.rows} rows md5 ${d.rebuilt.md5}` : 'missing'}\n`);
          }
        }
        process.stdout.write(result.swapped ? `${name}: the rebuilt schema is live\n` : `${name}: not swapped; the live schema is unchanged and the rebuild is kept in ${app.schema}__rebuild (--fresh starts over)\n`);
        if (result.differences.length > 0) process.exitCode = 2;
      } catch (error) {
        progress.stop();
        if (error instanceof ReplayRefusedError) {
          process.stderr.write(`${error.message}\n`);
          process.exitCode = 1;
          return;
        }
        throw error;
      } finally {
        await publisher.disconnect().catch(() => undefined);
      }
    });
}
