import { IsInt, Max, Min } from 'class-validator';
import { ConsumerConfig } from '@revstream/config';

export class BillingConfig extends ConsumerConfig {
  /** /health and /metrics of the billing consumer. */
  @IsInt() @Min(1) @Max(65535)
  BILLING_PORT: number = 3010;
}
