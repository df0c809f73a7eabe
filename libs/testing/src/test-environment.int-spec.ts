import { resolveTestEnvironment, TestEnvironmentError } from './test-environment';

describe('test environment resolution', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('uses KAFKA_BROKERS and DATABASE_URL when they are set and answer', async () => {
    const env = await resolveTestEnvironment();
    expect(env).toMatchObject({ kafkaBrokers: saved.KAFKA_BROKERS, databaseUrl: saved.DATABASE_URL, kafkaMode: 'environment', postgresMode: 'environment' });
  });

  it('fails with a message naming what is missing when KAFKA_BROKERS points nowhere', async () => {
    process.env.KAFKA_BROKERS = '127.0.0.1:1';
    await expect(resolveTestEnvironment()).rejects.toThrow(TestEnvironmentError);
    await expect(resolveTestEnvironment()).rejects.toThrow(/KAFKA_BROKERS=127\.0\.0\.1:1 is set but no broker answers/);
  });

  it('fails with a message naming what is missing when DATABASE_URL points nowhere', async () => {
    process.env.DATABASE_URL = 'postgres://postgres@127.0.0.1:1/revstream';
    await expect(resolveTestEnvironment()).rejects.toThrow(/DATABASE_URL=.* is set but Postgres does not answer/);
  });
});
