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

/** How each client createKafka made connects (a worker thread opens its own client the same way). */
const connections = new WeakMap<Kafka, { brokers: string[]; clientId: string }>();

/** The brokers and client id of a client createKafka made; undefined for any other. */
export const kafkaConnectionOf = (kafka: Kafka): { brokers: string[]; clientId: string } | undefined => connections.get(kafka);

export function createKafka(options: KafkaClientOptions): Kafka {
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: options.brokers.split(',').map((b) => b.trim()),
    connectionTimeout: 3_000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    retry: options.retry ?? { initialRetryTime: 100, maxRetryTime: 5_000, retries: 8 },
    ...(options.logger ? { logCreator: kafkajsLogCreator(options.logger) } : { logLevel: logLevel.NOTHING }),
  });
  connections.set(kafka, { brokers: options.brokers.split(',').map((b) => b.trim()), clientId: options.clientId });
  return kafka;
}
