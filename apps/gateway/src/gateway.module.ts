import { type DynamicModule, Module } from '@nestjs/common';
import { KafkaModule, KafkaReadiness } from '@revstream/kafka';
import { createLogger, ObservabilityModule } from '@revstream/observability';
import { TenancyModule } from '@revstream/tenancy';
import type { GatewayConfig } from './gateway.config';

/** The ingest gateway: authenticate, validate, publish to Kafka, answer only once Kafka holds the event. */
@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    const logger = createLogger('gateway', config.LOG_LEVEL);
    return {
      module: GatewayModule,
      imports: [
        KafkaModule.forRoot({
          brokers: config.KAFKA_BROKERS,
          clientId: `revstream-gateway-${config.INSTANCE_ID}`,
          topicPrefix: config.KAFKA_TOPIC_PREFIX,
          logger,
          publisher: { publishTimeoutMs: config.KAFKA_PUBLISH_TIMEOUT_MS },
        }),
        TenancyModule.forRoot({ databaseUrl: config.DATABASE_URL, logger }),
        ObservabilityModule.forRoot({ checks: [KafkaReadiness], logger }),
      ],
    };
  }
}
