import { IsIn, IsInt, IsString, Matches, Max, Min } from 'class-validator';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/revstream';
export const DEFAULT_KAFKA_BROKERS = '127.0.0.1:9092';

/**
 * Settings every app shares. Each app extends it with its own. Every property needs an explicit type
 * annotation: the decorator metadata that converts "8080" to 8080 is emitted from it.
 */
export class CommonConfig {
  /** Comma-separated host:port list. */
  @Matches(/^[^\s,:]+:\d{1,5}(,[^\s,:]+:\d{1,5})*$/, { message: 'must be a comma-separated list of host:port' })
  KAFKA_BROKERS: string = DEFAULT_KAFKA_BROKERS;

  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'must be a postgres:// URL' })
  DATABASE_URL: string = DEFAULT_DATABASE_URL;

  /** Topics are `<prefix>.raw.<source>` and so on. */
  @Matches(/^[a-zA-Z0-9][a-zA-Z0-9_-]{0,100}$/, { message: 'must be letters, digits, _ or -' })
  KAFKA_TOPIC_PREFIX: string = 'revstream';

  /** Partitions for topics this app creates when they are missing. */
  @IsInt() @Min(1) @Max(1024)
  KAFKA_PARTITIONS: number = 6;

  @IsInt() @Min(1) @Max(32)
  KAFKA_REPLICATION_FACTOR: number = 1;

  @IsIn(LOG_LEVELS as LogLevel[])
  LOG_LEVEL: LogLevel = 'info';

  @IsString()
  INSTANCE_ID: string = 'default';
}
