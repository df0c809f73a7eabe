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

/** A client's settings without its logger: what another thread needs to open the same client. */
export type KafkaConnection = Pick<KafkaConfig, 'clientId' | 'brokers' | 'connectionTimeout' | 'requestTimeout' | 'retry'>;

/** How each client createKafka made connects (a worker thread opens its own client the same way). */
const connections = new WeakMap<Kafka, KafkaConnection>();

/** The settings of a client createKafka made (plain data: a worker thread can take them); undefined for any other. */
export const kafkaConnectionOf = (kafka: Kafka): KafkaConnection | undefined => connections.get(kafka);

export function createKafka(options: KafkaClientOptions): Kafka {
  const connection: KafkaConnection = {
    clientId: options.clientId,
    brokers: options.brokers.split(',').map((b) => b.trim()),
    connectionTimeout: 3_000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    retry: options.retry ?? { initialRetryTime: 100, maxRetryTime: 5_000, retries: 8 },
  };
  const kafka = new Kafka({ ...connection, ...(options.logger ? { logCreator: kafkajsLogCreator(options.logger) } : { logLevel: logLevel.NOTHING }) });
  connections.set(kafka, connection);
  return kafka;
}
