import { IsInt, Max, Min } from 'class-validator';
import { ConsumerConfig } from '@revstream/config';

export class CohortsConfig extends ConsumerConfig {
  /** /health and /metrics of the cohorts consumer. */
  @IsInt() @Min(1) @Max(65535)
  COHORTS_PORT: number = 3012;
}
