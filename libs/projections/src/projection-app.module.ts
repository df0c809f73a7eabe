import { type DynamicModule, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { DataSource, EntitySchema, MixedList } from 'typeorm';
import type { ConsumerConfig } from '@revstream/config';
import { Topics } from '@revstream/events';
import { ensureTopics, EventPublisher, type EventPublisherOptions, KAFKA, KafkaModule, KafkaReadiness } from '@revstream/kafka';
import { createLogger, type Logger, ObservabilityModule } from '@revstream/observability';
import { createSchemaDataSource, PostgresReadiness, runMigrations } from '@revstream/persistence';
import type { ProjectionHandler } from './projection-handler';
import { ProjectionRunner, ProjectionVersionMismatchError } from './projection-runner';
import { replayProjectionApp } from './replay/replay';
import { ProjectionTransport } from './projection.transport';

export const PROJECTION_DATA_SOURCE = Symbol('PROJECTION_DATA_SOURCE');
export const PROJECTION_LOGGER = Symbol('PROJECTION_LOGGER');

export interface ProjectionAppOptions {
  /** The app, and its Postgres schema: `billing`. */
  name: string;
  schema: string;
  config: ConsumerConfig;
  /** Every migration of the schema, the core tables first. */
  migrations: MixedList<Function | string>;
  entities?: MixedList<Function | string | EntitySchema>;
  /** The projections this app runs; each gets its own runner, checkpoints and consumer group. */
  handlers: readonly ProjectionHandler[];
  /** Publisher settings (an app that also ingests, the gateway, sets its publish timeout). */
  publisher?: Partial<EventPublisherOptions>;
  /**
   * Create missing topics while the app boots (default). An app that must boot while Kafka is down
   * (the gateway: it answers 503 until Kafka is back) sets false and ensures them before it starts
   * its runners.
   */
  ensureTopicsAtBoot?: boolean;
}

@Injectable()
class DataSourceLifecycle implements OnApplicationShutdown {
  constructor(@Inject(PROJECTION_DATA_SOURCE) private readonly dataSource: DataSource) {}
  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

/**
 * Everything a consumer app needs, in one import: its schema migrated at boot, the topics ensured,
 * a runner per projection behind the ProjectionTransport, and /health (Kafka + Postgres) and /metrics.
 * The app's own module adds only its projections and read-model entities.
 */
/**
 * A projection whose code version is newer than the one its schema holds is rebuilt from the topics
 * into new tables before the app starts projecting; the old tables keep answering reads until the
 * rebuild has caught up and is swapped in. Older code than the schema refuses to start.
 */
async function upgradeProjectionVersions(
  options: ProjectionAppOptions,
  dataSource: DataSource,
  kafka: Kafka,
  topics: Topics,
  publisher: EventPublisher,
  logger: Logger,
): Promise<void> {
  const rows = (await dataSource.query(`SELECT projection, version FROM "${options.schema}".projection_meta`)) as Array<{ projection: string; version: number }>;
  const stored = new Map(rows.map((r) => [r.projection, r.version]));
  const newer = options.handlers.filter((h) => (stored.get(h.name) ?? h.version) > h.version);
  if (newer.length > 0) {
    throw new ProjectionVersionMismatchError(
      `schema ${options.schema} holds ${newer.map((h) => `${h.name} v${stored.get(h.name)}`).join(', ')}, newer than this code (${newer.map((h) => `v${h.version}`).join(', ')})`,
    );
  }
  const outdated = options.handlers.filter((h) => (stored.get(h.name) ?? h.version) < h.version);
  if (outdated.length === 0) return;
  logger.warn(
    { schema: options.schema, upgrades: outdated.map((h) => ({ projection: h.name, from: stored.get(h.name), to: h.version })) },
    'projection version bumped: rebuilding into new tables from the topics; the old tables keep serving reads until the swap',
  );
  const result = await replayProjectionApp({
    app: { name: options.name, schema: options.schema, migrations: options.migrations, handlers: options.handlers, ...(options.entities ? { entities: options.entities } : {}) },
    databaseUrl: options.config.DATABASE_URL,
    kafka,
    topics,
    publisher,
    logger,
  });
  logger.warn({ schema: options.schema, records: result.records, seconds: result.seconds }, 'rebuilt projection swapped in');
}

@Module({})
export class ProjectionAppModule {
  static forRoot(options: ProjectionAppOptions): DynamicModule {
    const { config } = options;
    const logger = createLogger(options.name, config.LOG_LEVEL);
    return {
      module: ProjectionAppModule,
      global: true,
      imports: [
        KafkaModule.forRoot({
          brokers: config.KAFKA_BROKERS,
          clientId: `revstream-${options.name}-${config.INSTANCE_ID}`,
          topicPrefix: config.KAFKA_TOPIC_PREFIX,
          logger,
          ...(options.publisher ? { publisher: options.publisher } : {}),
        }),
        ObservabilityModule.forRoot({ checks: [KafkaReadiness, PostgresReadiness], logger }),
      ],
      providers: [
        { provide: PROJECTION_LOGGER, useValue: logger },
        {
          provide: PROJECTION_DATA_SOURCE,
          useFactory: async (): Promise<DataSource> => {
            const ds = createSchemaDataSource({
              url: config.DATABASE_URL,
              schema: options.schema,
              migrations: options.migrations,
              ...(options.entities ? { entities: options.entities } : {}),
              poolSize: config.CONSUMER_CONCURRENCY * options.handlers.length + 4,
              applicationName: `revstream-${options.name}`,
            });
            const ran = await runMigrations(ds, config.DATABASE_URL);
            if (ran.length > 0) logger.info({ migrations: ran }, 'migrations applied');
            return ds;
          },
        },
        { provide: PostgresReadiness, inject: [PROJECTION_DATA_SOURCE], useFactory: (ds: DataSource) => new PostgresReadiness(ds) },
        {
          provide: ProjectionTransport,
          inject: [KAFKA, Topics, EventPublisher, PROJECTION_DATA_SOURCE],
          useFactory: async (kafka: Kafka, topics: Topics, publisher: EventPublisher, dataSource: DataSource) => {
            if (options.ensureTopicsAtBoot !== false) {
              await ensureTopics(kafka, topics, { partitions: config.KAFKA_PARTITIONS, replicationFactor: config.KAFKA_REPLICATION_FACTOR });
            }
            await upgradeProjectionVersions(options, dataSource, kafka, topics, publisher, logger);
            return new ProjectionTransport(
              options.handlers.map(
                (handler) =>
                  new ProjectionRunner({
                    kafka,
                    dataSource,
                    topics,
                    handler,
                    publisher,
                    logger: logger as Logger,
                    concurrency: config.CONSUMER_CONCURRENCY,
                    maxRecordsPerTransaction: config.CONSUMER_MAX_BATCH,
                    maxBytesPerPartition: config.CONSUMER_FETCH_BYTES,
                  }),
              ),
            );
          },
        },
        DataSourceLifecycle,
      ],
      exports: [PROJECTION_DATA_SOURCE, PROJECTION_LOGGER, ProjectionTransport, PostgresReadiness],
    };
  }
}
