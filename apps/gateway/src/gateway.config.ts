import { IsIn, IsInt, Max, Min } from 'class-validator';
import { ConsumerConfig } from '@revstream/config';

/**
 * The gateway's settings. It extends the consumer settings because it also runs one projection
 * (the customer identity behind `GET /api/v1/access`).
 */
export class GatewayConfig extends ConsumerConfig {
  @IsInt() @Min(1) @Max(65535)
  PORT: number = 3000;

  /** How long a request may wait for Kafka's acknowledgement before it is answered 503 (Revnu 502). */
  @IsInt() @Min(100) @Max(120_000)
  KAFKA_PUBLISH_TIMEOUT_MS: number = 5_000;

  /** The Retry-After (seconds) sent with 503/502 when Kafka cannot take an event. */
  @IsInt() @Min(1) @Max(3_600)
  RETRY_AFTER_SECONDS: number = 5;

  /** Requests per minute per tenant, per source (each gateway instance counts its own). Revnu's seed says 500. */
  @IsInt() @Min(1)
  REVNU_RATE_LIMIT_PER_MINUTE: number = 500;

  @IsInt() @Min(1)
  REVLINT_RATE_LIMIT_PER_MINUTE: number = 60_000;

  @IsInt() @Min(1)
  PULSORA_RATE_LIMIT_PER_MINUTE: number = 300_000;

  @IsInt() @Min(1)
  VALUED_RATE_LIMIT_PER_MINUTE: number = 120_000;

  @IsInt() @Min(1)
  REVENIUM_RATE_LIMIT_PER_MINUTE: number = 300_000;

  /**
   * Run the customer-identity projection (behind GET /api/v1/access) in this instance. With several
   * gateway instances they share its work (one consumer group); `off` leaves it to the others.
   */
  @IsIn(['on', 'off'])
  IDENTITY_PROJECTION: 'on' | 'off' = 'on';
}
