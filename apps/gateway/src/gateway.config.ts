import { IsInt, IsString, Max, Min } from 'class-validator';
import { CommonConfig } from '@revstream/config';

export class GatewayConfig extends CommonConfig {
  @IsInt() @Min(1) @Max(65535)
  PORT: number = 3000;

  @IsString()
  HOST: string = '127.0.0.1';

  /** How long a request may wait for Kafka's acknowledgement before it is answered 503. */
  @IsInt() @Min(100) @Max(120_000)
  KAFKA_PUBLISH_TIMEOUT_MS: number = 5_000;
}
