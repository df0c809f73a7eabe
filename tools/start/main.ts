/**
 * `npm start`: the whole pipeline on this machine, on the embedded default.
 *  - Kafka: KAFKA_BROKERS when set; otherwise the project's own broker (started, or reused if one answers).
 *  - Postgres: DATABASE_URL, by default the local server; the database is created when missing.
 *  - Then migrations, topics, and every app as a child process. Ctrl-C stops them all, and the broker
 *    too when this launcher started it.
 */
import 'reflect-metadata';
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { IsInt, IsString, Max, Min } from 'class-validator';
import { CommonConfig, DEFAULT_KAFKA_BROKERS, loadConfig } from '@revstream/config';
import { Topics } from '@revstream/events';
import { createKafka, ensureTopics } from '@revstream/kafka';
import { ensureDatabase, redactUrl } from '@revstream/persistence';
import { migrateAll } from '../../apps/cli/src/commands/migrate.command';
import { kafkaAnswers, localKafkaOptions, startLocalKafka, stopLocalKafka } from '../kafka-local/local-kafka';
import { projectRoot } from '../shared/project-root';
import { PIPELINE_APPS } from './pipeline-apps';

class StartConfig extends CommonConfig {
  @IsInt() @Min(1) @Max(65535) PORT: number = 3000;
  @IsInt() @Min(1) @Max(65535) API_PORT: number = 3001;
  @IsInt() @Min(1) @Max(65535) BILLING_PORT: number = 3010;
  @IsInt() @Min(1) @Max(65535) METERING_PORT: number = 3011;
  @IsInt() @Min(1) @Max(65535) COHORTS_PORT: number = 3012;
  @IsInt() @Min(1) @Max(65535) IDENTITY_PORT: number = 3013;
  @IsString() HOST: string = '127.0.0.1';
}

const say = (line: string): void => void process.stdout.write(`[revstream] ${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function ready(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return response.status === 200;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const config = loadConfig(StartConfig);
  const host = config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST;

  // Kafka
  let stopBroker = false;
  if (process.env.KAFKA_BROKERS) {
    if (!(await kafkaAnswers(config.KAFKA_BROKERS, 10_000))) throw new Error(`KAFKA_BROKERS=${config.KAFKA_BROKERS} does not answer`);
    say(`Kafka: ${config.KAFKA_BROKERS} (from KAFKA_BROKERS)`);
  } else {
    const started = await startLocalKafka(localKafkaOptions({ log: (l) => say(`kafka: ${l}`) }));
    stopBroker = started.startedByUs;
    say(`Kafka: ${started.brokers} (${started.startedByUs ? "the project's own broker, started now" : 'already running, reused'})`);
  }
  const brokers = process.env.KAFKA_BROKERS ?? DEFAULT_KAFKA_BROKERS;

  // Postgres, schemas, topics
  await ensureDatabase(config.DATABASE_URL);
  say(`Postgres: ${redactUrl(config.DATABASE_URL)}`);
  await migrateAll(config.DATABASE_URL, (l) => say(`migrate: ${l}`));
  await ensureTopics(createKafka({ brokers, clientId: 'revstream-start' }), new Topics(config.KAFKA_TOPIC_PREFIX), {
    partitions: config.KAFKA_PARTITIONS,
    replicationFactor: config.KAFKA_REPLICATION_FACTOR,
  });

  // Apps
  const apps = PIPELINE_APPS.map((app) => ({ ...app, port: config[app.portVariable] }));
  const children = new Map<string, ChildProcess>();
  let shuttingDown = false;

  const shutdown = async (code: number, why: string): Promise<never> => {
    if (shuttingDown) return new Promise<never>(() => undefined);
    shuttingDown = true;
    say(`${why}: stopping`);
    await Promise.all(
      [...children.entries()].map(
        ([name, child]) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
            child.once('exit', () => {
              clearTimeout(timer);
              say(`${name} stopped`);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
    if (stopBroker) await stopLocalKafka(localKafkaOptions({ log: (l) => say(`kafka: ${l}`) }));
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0, 'Ctrl-C'));
  process.on('SIGTERM', () => void shutdown(0, 'SIGTERM'));

  const childEnv = {
    ...process.env,
    KAFKA_BROKERS: brokers,
    DATABASE_URL: config.DATABASE_URL,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  };
  for (const app of apps) {
    const child = spawn(process.execPath, ['--enable-source-maps', ...(app.nodeArgs ?? []), join(projectRoot(), 'dist', 'apps', app.entry)], {
      env: { ...childEnv, ...app.env },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.set(app.name, child);
    child.on('exit', (code, signal) => {
      if (!shuttingDown) void shutdown(1, `${app.name} exited (${signal ?? `code ${code}`})`);
    });
  }

  const deadline = Date.now() + 120_000;
  const pending = new Set(apps.map((a) => a.name));
  while (pending.size > 0 && Date.now() < deadline) {
    for (const app of apps) if (pending.has(app.name) && (await ready(`http://${host}:${app.port}/health`))) pending.delete(app.name);
    if (pending.size > 0) await sleep(300);
  }
  if (pending.size > 0) await shutdown(1, `not ready after 120 s: ${[...pending].join(', ')}`);

  say('the pipeline is up:');
  for (const app of apps) say(`  ${app.label.padEnd(18)} http://${host}:${app.port}  ${app.paths}`);
  say('Ctrl-C stops everything.');
}

main().catch((error: unknown) => {
  process.stderr.write(`[revstream] failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
