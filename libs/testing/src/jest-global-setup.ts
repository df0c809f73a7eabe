import { resolveTestEnvironment } from './test-environment';

/** Resolves Kafka and Postgres once per jest run; test files inherit them through the environment. */
export default async function globalSetup(): Promise<void> {
  const env = await resolveTestEnvironment((line) => process.stderr.write(`[test-env] ${line}\n`));
  process.env.KAFKA_BROKERS = env.kafkaBrokers;
  process.env.DATABASE_URL = env.databaseUrl;
  process.env.REVSTREAM_TEST_KAFKA_MODE = env.kafkaMode;
  process.env.REVSTREAM_TEST_POSTGRES_MODE = env.postgresMode;
  (globalThis as { __revstreamTeardown?: () => Promise<void> }).__revstreamTeardown = env.teardown;
}
