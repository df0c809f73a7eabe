import { type DynamicModule, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { Topics } from '@revstream/events';
import type { Logger } from '@revstream/observability';
import { createKafka } from './kafka-client';
import { EventPublisher, type EventPublisherOptions } from './event-publisher';
import { KafkaReadiness } from './kafka-readiness';

export const KAFKA = Symbol('KAFKA');

export interface KafkaModuleOptions {
  brokers: string;
  clientId: string;
  topicPrefix: string;
  logger?: Logger;
  publisher?: Partial<EventPublisherOptions>;
}

@Injectable()
class KafkaLifecycle implements OnApplicationShutdown {
  constructor(
    private readonly publisher: EventPublisher,
    private readonly readiness: KafkaReadiness,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.publisher.disconnect().catch(() => undefined);
    await this.readiness.close();
  }
}

/** The Kafka client, the topic names, a durable EventPublisher and a readiness check, for Nest apps. */
@Module({})
export class KafkaModule {
  static forRoot(options: KafkaModuleOptions): DynamicModule {
    return {
      module: KafkaModule,
      global: true,
      providers: [
        { provide: KAFKA, useFactory: () => createKafka({ brokers: options.brokers, clientId: options.clientId, ...(options.logger ? { logger: options.logger } : {}) }) },
        { provide: Topics, useValue: new Topics(options.topicPrefix) },
        {
          provide: EventPublisher,
          inject: [KAFKA, Topics],
          useFactory: (kafka: Kafka, topics: Topics) =>
            new EventPublisher(kafka, topics, {
              publishTimeoutMs: 5_000,
              maxRecordsPerRequest: 5_000,
              compression: 'none',
              ...(options.logger ? { logger: options.logger } : {}),
              ...options.publisher,
            }),
        },
        { provide: KafkaReadiness, inject: [KAFKA], useFactory: (kafka: Kafka) => new KafkaReadiness(kafka) },
        KafkaLifecycle,
      ],
      exports: [KAFKA, Topics, EventPublisher, KafkaReadiness],
    };
  }
}

export const InjectKafka = (): ParameterDecorator => Inject(KAFKA);
