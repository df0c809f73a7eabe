import { IsInt, Max, Min } from 'class-validator';
import { ConsumerConfig } from '@revstream/config';

export class MeteringConfig extends ConsumerConfig {
  /** /health and /metrics of the metering consumer. */
  @IsInt() @Min(1) @Max(65535)
  METERING_PORT: number = 3011;
}
