import { type DynamicModule, Global, Module } from '@nestjs/common';
import { createLogger } from '@revstream/observability';
import { ProjectionAppModule } from '@revstream/projections';
import { TenancyModule } from '@revstream/tenancy';
import { GatewayConfig } from './gateway.config';
import { gatewayIdentityApp } from './identity/identity.app';
import { IngestModule } from './ingest/ingest.module';
import { KafkaBootstrap } from './kafka-bootstrap';

@Global()
@Module({})
class GatewayConfigModule {}

/**
 * The ingest gateway: authenticate, validate, publish to Kafka, answer only once Kafka holds the event.
 * ProjectionAppModule brings Kafka (the durable EventPublisher), /health (Kafka and Postgres) and
 * /metrics, and runs the customer-identity projection into the `gateway` schema.
 */
@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    const logger = createLogger('gateway', config.LOG_LEVEL);
    return {
      module: GatewayModule,
      imports: [
        {
          module: GatewayConfigModule,
          providers: [{ provide: GatewayConfig, useValue: config }, KafkaBootstrap],
          exports: [GatewayConfig, KafkaBootstrap],
        },
        ProjectionAppModule.forRoot({
          ...gatewayIdentityApp,
          handlers: config.IDENTITY_PROJECTION === 'on' ? gatewayIdentityApp.handlers : [],
          config,
          publisher: { publishTimeoutMs: config.KAFKA_PUBLISH_TIMEOUT_MS },
          // The gateway boots while Kafka is down (it answers 503 until Kafka is back): main.ts ensures topics.
          ensureTopicsAtBoot: false,
        }),
        TenancyModule.forRoot({ databaseUrl: config.DATABASE_URL, logger }),
        IngestModule,
      ],
    };
  }
}
