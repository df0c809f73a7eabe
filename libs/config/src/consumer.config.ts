import { IsInt, IsString, Max, Min } from 'class-validator';
import { CommonConfig } from './common.config';

/** Settings of the consumer apps (billing, metering, cohorts). Each adds its own port variable. */
export class ConsumerConfig extends CommonConfig {
  /** Partitions a process projects at once, each in its own transaction. */
  @IsInt() @Min(1) @Max(64)
  CONSUMER_CONCURRENCY: number = 3;

  /** Records per projection transaction at most. */
  @IsInt() @Min(1) @Max(200_000)
  CONSUMER_MAX_BATCH: number = 5_000;

  /**
   * Bytes fetched per partition per Kafka request: a batch is at most one fetch, so this must hold
   * CONSUMER_MAX_BATCH records for that limit to be reached (about 450 bytes per usage event, 850
   * per billing event). The broker's fetch.max.bytes caps a whole response (Kafka's default 55 MiB):
   * it must hold this times CONSUMER_CONCURRENCY.
   */
  @IsInt() @Min(64 * 1024) @Max(128 * 1024 * 1024)
  CONSUMER_FETCH_BYTES: number = 2 * 1024 * 1024;

  /** Interface the /health and /metrics listener binds to. */
  @IsString()
  HOST: string = '127.0.0.1';
}
