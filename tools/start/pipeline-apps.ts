/**
 * The apps the pipeline runs, as `npm start` starts them: one child process each. Shared by
 * `tools/start/main.ts` and the end-to-end benchmark (`bench/e2e`), so both run the same pipeline.
 */
export interface PipelinePorts {
  PORT: number;
  API_PORT: number;
  BILLING_PORT: number;
  METERING_PORT: number;
  COHORTS_PORT: number;
  IDENTITY_PORT: number;
}

export interface AppSpec {
  name: 'gateway' | 'api' | 'billing' | 'metering' | 'cohorts' | 'identity';
  label: string;
  /** The environment variable the app reads its HTTP port from. */
  portVariable: keyof PipelinePorts;
  paths: string;
  /** Entry point under dist/apps/. */
  entry: string;
  env?: Record<string, string>;
  /** Node flags for this app's process. */
  nodeArgs?: readonly string[];
}

/**
 * The metering consumer allocates a batch's worth of short-lived objects per transaction; a larger
 * young generation lets them die there instead of being promoted (docs/performance.md).
 */
const METERING_SEMI_SPACE = '--max-semi-space-size=64';
/**
 * Metering folds a batch per period row before writing it, so larger batches write fewer rows per
 * event; a batch is at most one fetch, so the fetch must hold it (docs/performance-metering.md).
 */
const METERING_BATCHES = { CONSUMER_MAX_BATCH: '20000', CONSUMER_FETCH_BYTES: String(8 * 1024 * 1024) };

export const PIPELINE_APPS: readonly AppSpec[] = [
  // The gateway stays a thin HTTP edge; its identity projection runs in its own worker.
  { name: 'gateway', label: 'gateway (ingest)', portVariable: 'PORT', paths: 'POST the five ingest APIs; GET /health, /metrics', entry: 'gateway/src/main.js', env: { IDENTITY_PROJECTION: 'off' } },
  { name: 'api', label: 'query API', portVariable: 'API_PORT', paths: 'GET /health, /v1/..., /docs, /dashboard', entry: 'api/src/main.js' },
  { name: 'billing', label: 'billing consumer', portVariable: 'BILLING_PORT', paths: 'GET /health, /metrics', entry: 'billing/src/main.js' },
  { name: 'metering', label: 'metering consumer', portVariable: 'METERING_PORT', paths: 'GET /health, /metrics', entry: 'metering/src/main.js', nodeArgs: [METERING_SEMI_SPACE], env: METERING_BATCHES },
  { name: 'cohorts', label: 'cohorts consumer', portVariable: 'COHORTS_PORT', paths: 'GET /health, /metrics', entry: 'cohorts/src/main.js' },
  { name: 'identity', label: 'identity worker', portVariable: 'IDENTITY_PORT', paths: 'GET /health, /metrics', entry: 'gateway/src/identity/main.js' },
];
