export type ReveniumSourceType =
  | 'UNKNOWN' | 'AI' | 'SDK_PYTHON' | 'SDK_JS' | 'SDK_JVM' | 'SDK_SPRING' | 'SDK_DOTNET' | 'SDK_GOLANG'
  | 'SDK_RUST' | 'EBPF' | 'AWS' | 'AZURE' | 'SNOWFLAKE' | 'KONG' | 'GRAVITEE' | 'MULESOFT' | 'BOOMI'
  | 'REVENIUM' | 'INTERNAL';
export const REVENIUM_SOURCE_TYPES: readonly ReveniumSourceType[] = [
  'UNKNOWN', 'AI', 'SDK_PYTHON', 'SDK_JS', 'SDK_JVM', 'SDK_SPRING', 'SDK_DOTNET', 'SDK_GOLANG', 'SDK_RUST',
  'EBPF', 'AWS', 'AZURE', 'SNOWFLAKE', 'KONG', 'GRAVITEE', 'MULESOFT', 'BOOMI', 'REVENIUM', 'INTERNAL',
];

/** `POST /meter/v2/events` (seed 004). Each payload key is a metering element. */
export interface ReveniumMeterData {
  transactionId: string;
  payload: Record<string, number>;
  sourceId: string | null;
  subscriberCredential: string | null;
  sourceType: ReveniumSourceType;
}
