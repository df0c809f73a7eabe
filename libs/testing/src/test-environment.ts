import { spawnSync } from 'node:child_process';
import { Client } from 'pg';
import { DEFAULT_DATABASE_URL } from '@revstream/config';
import { ensureDatabase, redactUrl } from '@revstream/persistence';
import { kafkaAnswers, localKafkaOptions, missingPrerequisites, startLocalKafka } from '../../../tools/kafka-local/local-kafka';

export type TestEnvironmentMode = 'environment' | 'testcontainers' | 'embedded';

export interface ResolvedTestEnvironment {
  kafkaBrokers: string;
  /** The server tests create their own databases on. */
  databaseUrl: string;
  kafkaMode: TestEnvironmentMode;
  postgresMode: TestEnvironmentMode;
  teardown: () => Promise<void>;
}

export class TestEnvironmentError extends Error {
  override readonly name = 'TestEnvironmentError';
}

async function postgresAnswers(url: string): Promise<string | null> {
  const client = new Client({ connectionString: url.replace(/\/[^/?]*(\?|$)/, '/postgres$1'), connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function dockerAnswers(): boolean {
  if (process.env.REVSTREAM_TEST_NO_DOCKER === '1') return false;
  const info = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 5_000 });
  return !info.error && info.status === 0 && info.stdout.trim().length > 0;
}

/**
 * The one place that decides where integration and e2e tests find Kafka and Postgres:
 *  1. KAFKA_BROKERS and DATABASE_URL, when set;
 *  2. otherwise, when a Docker engine answers, testcontainers (Kafka 3.9 and Postgres 15 images);
 *  3. otherwise the embedded default `npm start` uses: the project's own broker (started, or reused
 *     when one already answers) and the local Postgres on 127.0.0.1:5432;
 *  4. otherwise a TestEnvironmentError that says what is missing and what to run.
 * Kafka and Postgres are always real; nothing here mocks them.
 */
export async function resolveTestEnvironment(log: (line: string) => void = () => undefined): Promise<ResolvedTestEnvironment> {
  const teardowns: Array<() => Promise<void>> = [];
  const problems: string[] = [];
  let kafkaBrokers: string | undefined;
  let kafkaMode: TestEnvironmentMode = 'environment';
  let databaseUrl: string | undefined;
  let postgresMode: TestEnvironmentMode = 'environment';

  if (process.env.KAFKA_BROKERS) {
    if (!(await kafkaAnswers(process.env.KAFKA_BROKERS, 10_000))) {
      throw new TestEnvironmentError(`KAFKA_BROKERS=${process.env.KAFKA_BROKERS} is set but no broker answers there. Start it, or unset KAFKA_BROKERS to let the tests start the project's own broker.`);
    }
    kafkaBrokers = process.env.KAFKA_BROKERS;
  }
  if (process.env.DATABASE_URL) {
    const problem = await postgresAnswers(process.env.DATABASE_URL);
    if (problem) throw new TestEnvironmentError(`DATABASE_URL=${redactUrl(process.env.DATABASE_URL)} is set but Postgres does not answer: ${problem}`);
    databaseUrl = process.env.DATABASE_URL;
  }

  if ((!kafkaBrokers || !databaseUrl) && dockerAnswers()) {
    log('a Docker engine answers: using testcontainers');
    if (!kafkaBrokers) {
      const { KafkaContainer } = await import('@testcontainers/kafka');
      // Confluent Platform 7.9 ships Apache Kafka 3.9.
      const kafka = await new KafkaContainer('confluentinc/cp-kafka:7.9.0').withKraft().start();
      teardowns.push(async () => void (await kafka.stop()));
      kafkaBrokers = `${kafka.getHost()}:${kafka.getMappedPort(9093)}`;
      kafkaMode = 'testcontainers';
    }
    if (!databaseUrl) {
      const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
      const pg = await new PostgreSqlContainer('postgres:15-alpine').withUsername('postgres').withPassword('postgres').withDatabase('revstream').start();
      teardowns.push(async () => void (await pg.stop()));
      databaseUrl = pg.getConnectionUri();
      postgresMode = 'testcontainers';
    }
  }

  if (!kafkaBrokers) {
    const options = localKafkaOptions({ log });
    const missing = missingPrerequisites(options);
    if (missing.length > 0) {
      problems.push(`Kafka: no KAFKA_BROKERS, no Docker engine, and the project's own broker cannot start:\n    - ${missing.join('\n    - ')}\n    Then run \`npm run kafka:start\`, or set KAFKA_BROKERS to a running broker.`);
    } else {
      const started = await startLocalKafka(options);
      kafkaBrokers = started.brokers;
      kafkaMode = 'embedded';
    }
  }
  if (!databaseUrl) {
    const problem = await postgresAnswers(DEFAULT_DATABASE_URL);
    if (problem) {
      problems.push(
        `Postgres: no DATABASE_URL, no Docker engine, and nothing answers on 127.0.0.1:5432 (${problem}).\n` +
          '    Start the local server (on this machine: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start), or set DATABASE_URL.',
      );
    } else {
      databaseUrl = DEFAULT_DATABASE_URL;
      postgresMode = 'embedded';
    }
  }
  if (problems.length > 0 || !kafkaBrokers || !databaseUrl) {
    await Promise.all(teardowns.map((t) => t().catch(() => undefined)));
    throw new TestEnvironmentError(`the integration tests need a real Kafka and a real Postgres:\n  ${problems.join('\n  ')}`);
  }
  // Tests that talk to DATABASE_URL itself (not a database of their own) need it to exist: a fresh
  // server has only postgres, template0 and template1.
  if (await ensureDatabase(databaseUrl)) log(`created the database of ${redactUrl(databaseUrl)}`);
  log(`Kafka ${kafkaBrokers} (${kafkaMode}), Postgres ${redactUrl(databaseUrl)} (${postgresMode})`);
  return {
    kafkaBrokers,
    databaseUrl,
    kafkaMode,
    postgresMode,
    teardown: async () => {
      await Promise.all(teardowns.map((t) => t()));
    },
  };
}
