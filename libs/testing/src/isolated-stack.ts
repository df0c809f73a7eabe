import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { Topics } from '@revstream/events';
import { createKafka, ensureTopics } from '@revstream/kafka';
import { dropDatabase, ensureDatabase } from '@revstream/persistence';

export interface IsolatedStack {
  kafkaBrokers: string;
  /** A database of this test file's own, on the resolved server. */
  databaseUrl: string;
  /** Topics of this test file's own: `<prefix>.raw.revlint` and so on, already created. */
  topicPrefix: string;
  topics: Topics;
  kafka: Kafka;
  /** The environment an app under test should boot with. */
  env: Record<string, string>;
  cleanup: () => Promise<void>;
}

function required(name: 'KAFKA_BROKERS' | 'DATABASE_URL'): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run integration tests through jest (\`npm run test:int\`), whose global setup resolves Kafka and Postgres`);
  return value;
}

/**
 * A database and a topic prefix of this test file's own, on the real broker and server, so test
 * files can run in parallel and leave nothing behind.
 */
export async function isolatedStack(
  label: string,
  options: {
    partitions?: number;
    /** Another broker than the run's (a private one a test stops: startPrivateKafka). */
    kafkaBrokers?: string;
    /** Another server than the run's (a private one a test restarts: startPrivatePostgres). */
    serverUrl?: string;
  } = {},
): Promise<IsolatedStack> {
  const kafkaBrokers = options.kafkaBrokers ?? required('KAFKA_BROKERS');
  const base = new URL(options.serverUrl ?? required('DATABASE_URL'));
  const suffix = randomBytes(4).toString('hex');
  const safe = label.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 30);
  base.pathname = `/rs_test_${safe}_${suffix}`;
  const databaseUrl = base.toString();
  const topicPrefix = `t_${safe}_${suffix}`;
  const topics = new Topics(topicPrefix);
  const kafka = createKafka({ brokers: kafkaBrokers, clientId: `test-${safe}` });

  await ensureDatabase(databaseUrl);
  await ensureTopics(kafka, topics, { partitions: options.partitions ?? 3, replicationFactor: 1 });

  return {
    kafkaBrokers,
    databaseUrl,
    topicPrefix,
    topics,
    kafka,
    env: { KAFKA_BROKERS: kafkaBrokers, DATABASE_URL: databaseUrl, KAFKA_TOPIC_PREFIX: topicPrefix, KAFKA_PARTITIONS: String(options.partitions ?? 3), LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    cleanup: async () => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const mine = (await admin.listTopics()).filter((t) => t.startsWith(`${topicPrefix}.`));
        if (mine.length > 0) await admin.deleteTopics({ topics: mine, timeout: 30_000 });
      } finally {
        await admin.disconnect();
      }
      await dropDatabase(databaseUrl);
    },
  };
}
