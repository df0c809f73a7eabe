import { Kafka, type KafkaConfig, logLevel } from 'kafkajs';
import { kafkajsLogCreator, type Logger } from '@revstream/observability';

export interface KafkaClientOptions {
  brokers: string;
  clientId: string;
  logger?: Logger;
  /** Per-request timeout towards the broker. */
  requestTimeoutMs?: number;
  retry?: KafkaConfig['retry'];
}

export function createKafka(options: KafkaClientOptions): Kafka {
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers.split(',').map((b) => b.trim()),
    connectionTimeout: 3_000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    retry: options.retry ?? { initialRetryTime: 100, maxRetryTime: 5_000, retries: 8 },
    ...(options.logger ? { logCreator: kafkajsLogCreator(options.logger) } : { logLevel: logLevel.NOTHING }),
  });
}
