import { IsInt, Max, Min } from 'class-validator';
import { ConsumerConfig } from '@revstream/config';

export class CohortsConfig extends ConsumerConfig {
  /** /health and /metrics of the cohorts consumer. */
  @IsInt() @Min(1) @Max(65535)
  COHORTS_PORT: number = 3012;

  /** Milliseconds between clock ticks (one per tenant, on the clock topic); 0 turns this instance's ticker off. */
  @IsInt() @Min(0) @Max(86_400_000)
  COHORTS_TICK_INTERVAL_MS: number = 300_000;
}
