import { IsInt, IsString, Max, Min } from 'class-validator';
import { CommonConfig } from './common.config';

/** Settings of the consumer apps (billing, metering, cohorts). Each adds its own port variable. */
export class ConsumerConfig extends CommonConfig {
  /** Partitions a process projects at once, each in its own transaction. */
  @IsInt() @Min(1) @Max(64)
  CONSUMER_CONCURRENCY: number = 3;

  /** Records per projection transaction at most. */
  @IsInt() @Min(1) @Max(100_000)
  CONSUMER_MAX_BATCH: number = 5_000;

  /** Interface the /health and /metrics listener binds to. */
  @IsString()
  HOST: string = '127.0.0.1';
}
