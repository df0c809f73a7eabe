import { Injectable } from '@nestjs/common';
import type { Envelope } from '@revstream/events';
import { EventPublisher, KafkaUnavailableError } from '@revstream/kafka';
import { GatewayConfig } from '../../gateway.config';
import { IngestError } from './ingest-error';
import { countAccepted } from './ingest-metrics';
import type { IngestSource } from './ingest-source';

/** Who wrote an envelope that came over HTTP. */
export const GATEWAY_PRODUCER = 'gateway';

/**
 * The last step of every use case: publish a request's envelopes together and return only once
 * Kafka acknowledged all of them (acks=all, idempotent producer). When Kafka cannot take them, the
 * request is refused (503 + Retry-After; Revnu 502) and the client retries; nothing is answered 2xx.
 */
@Injectable()
export class IngestPublisher {
  constructor(
    private readonly publisher: EventPublisher,
    private readonly config: GatewayConfig,
  ) {}

  async publish(source: IngestSource, envelopes: readonly Envelope[]): Promise<void> {
    try {
      await this.publisher.publish(envelopes);
    } catch (error) {
      if (error instanceof KafkaUnavailableError) throw new IngestError('kafka_unavailable', [], this.config.RETRY_AFTER_SECONDS);
      throw error;
    }
    countAccepted(source, envelopes.length);
  }
}
