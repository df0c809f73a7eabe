import { IsInt, Max, Min } from 'class-validator';
import { ConsumerConfig } from '@revstream/config';

export class IdentityConfig extends ConsumerConfig {
  /** /health and /metrics of the identity worker. */
  @IsInt() @Min(1) @Max(65535)
  IDENTITY_PORT: number = 3013;
}
