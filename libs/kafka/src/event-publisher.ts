import { CompressionTypes, type Kafka, type Message, type Producer, type TopicMessages } from 'kafkajs';
import { Murmur2Partitioner } from './murmur2-partitioner';
import { encodeEnvelope, type Envelope, EVENT_TYPES, Topics } from '@revstream/events';
import { counter, histogram, type Logger } from '@revstream/observability';

/** Kafka did not acknowledge the write: nothing may be acknowledged to the client. */
export class KafkaUnavailableError extends Error {
  override readonly name = 'KafkaUnavailableError';
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

export interface EventPublisherOptions {
  /** How long a publish may wait for the broker's acknowledgement before failing. */
  publishTimeoutMs: number;
  /** Upper bound on records per produce request when many callers are waiting. */
  maxRecordsPerRequest: number;
  /** Compress produce requests (lz4 is not built into kafkajs; gzip costs CPU). */
  compression: 'none' | 'gzip';
  logger?: Logger;
}

interface Pending {
  records: Array<{ topic: string; message: Message }>;
  resolve: () => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  settled: boolean;
}

const produceLatency = histogram(
  'revstream_kafka_produce_seconds',
  'Time from publish() to the broker acknowledging the records (acks=all)',
  ['outcome'],
  [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
);
const producedRecords = counter('revstream_kafka_produced_records_total', 'Records acknowledged by Kafka', ['topic']);

/**
 * Publishes envelopes durably: an idempotent producer with acks=all, and publish() resolves only
 * once the broker has acknowledged every record. Callers that publish while a produce request is in
 * flight are grouped into the next request (group commit), so one request carries many HTTP
 * requests' events and only one request is ever in flight, as the idempotent producer needs.
 */
export class EventPublisher {
  private producer: Producer;
  private queue: Pending[] = [];
  private flushing = false;
  private connected: Promise<void> | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly topics: Topics,
    private readonly options: EventPublisherOptions,
  ) {
    this.producer = this.createProducer();
  }

  private createProducer(): Producer {
    return this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // murmur2 on the key, as Kafka's Java client: internal producers in any language place a customer alike.
      createPartitioner: Murmur2Partitioner,
      // Bounded, so an outage turns into a 503 rather than a request that hangs; see docs/events.md.
      retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 5 },
    });
  }

  /**
   * After a produce request failed, its records may still have been written (the broker went away
   * before answering). kafkajs then rolls the partitions' sequence numbers back, so the next request,
   * with other records, would reuse them, and the broker would take it for a retry of the written one:
   * answer success and drop it (acknowledged, yet lost). A new producer gets a new producer id, whose
   * sequences the broker has never seen.
   */
  private async resetProducer(): Promise<void> {
    const old = this.producer;
    this.producer = this.createProducer();
    this.connected = undefined;
    await old.disconnect().catch(() => undefined);
  }

  connect(): Promise<void> {
    this.connected ??= this.producer.connect().catch((error: unknown) => {
      this.connected = undefined;
      throw error;
    });
    return this.connected;
  }

  async disconnect(): Promise<void> {
    await this.producer.disconnect();
    this.connected = undefined;
  }

  /** Publishes each envelope to the topic of its type, keyed by tenant and customer. */
  publish(envelopes: readonly Envelope[]): Promise<void> {
    return this.publishRecords(
      envelopes.map((envelope) => {
        const record = encodeEnvelope(envelope);
        return {
          topic: this.topics.name(EVENT_TYPES[envelope.type].topic),
          message: { key: record.key, value: record.value },
        };
      }),
    );
  }

  /** Publishes raw records (dead letters, tools). Same durability as publish(). */
  publishRecords(records: Array<{ topic: string; message: Message }>): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    const started = process.hrtime.bigint();
    return new Promise<void>((resolve, reject) => {
      const pending: Pending = {
        records,
        settled: false,
        resolve: () => {
          if (pending.settled) return;
          pending.settled = true;
          clearTimeout(pending.timer);
          produceLatency.observe({ outcome: 'acked' }, Number(process.hrtime.bigint() - started) / 1e9);
          resolve();
        },
        reject: (error: Error) => {
          if (pending.settled) return;
          pending.settled = true;
          clearTimeout(pending.timer);
          produceLatency.observe({ outcome: 'failed' }, Number(process.hrtime.bigint() - started) / 1e9);
          reject(error);
        },
        timer: setTimeout(() => {
          pending.reject(new KafkaUnavailableError(`Kafka did not acknowledge within ${this.options.publishTimeoutMs} ms`));
        }, this.options.publishTimeoutMs),
      };
      this.queue.push(pending);
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const group: Pending[] = [];
        let count = 0;
        while (this.queue.length > 0 && (group.length === 0 || count + this.queue[0]!.records.length <= this.options.maxRecordsPerRequest)) {
          const next = this.queue.shift()!;
          if (next.settled) continue; // timed out while waiting: never send what the client was told failed
          group.push(next);
          count += next.records.length;
        }
        if (group.length === 0) continue;
        await this.send(group);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async send(group: Pending[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const p of group) {
      for (const r of p.records) {
        const list = byTopic.get(r.topic);
        if (list) list.push(r.message);
        else byTopic.set(r.topic, [r.message]);
      }
    }
    const topicMessages: TopicMessages[] = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
    try {
      await this.connect();
      await this.producer.sendBatch({
        topicMessages,
        acks: -1,
        timeout: this.options.publishTimeoutMs,
        ...(this.options.compression === 'gzip' ? { compression: CompressionTypes.GZIP } : {}),
      });
      for (const [topic, messages] of byTopic) producedRecords.inc({ topic }, messages.length);
      for (const p of group) p.resolve();
    } catch (error) {
      this.options.logger?.warn({ err: error }, 'Kafka did not acknowledge a produce request');
      const failure = new KafkaUnavailableError(`Kafka did not acknowledge: ${error instanceof Error ? error.message : String(error)}`, error);
      for (const p of group) p.reject(failure);
      await this.resetProducer();
    }
  }
}
