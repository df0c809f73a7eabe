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

/**
 * Billing writes each touched customer's document once per transaction, so fuller transactions write
 * fewer documents per event: on a time-ordered log a transaction of 20,000 records touches ~1.2 events
 * per customer, one of 100,000 about five (npm run bench:billing, 1M events, the app as a process:
 * 7,199 events/s at 20,000 records and 32 MiB fetches, ~12,500 at 80,000 to 100,000 and 64 MiB;
 * 150,000 and 128 MiB, with a broker that returns that much: sixth pass). A 128 MiB fetch holds about
 * 150,000 billing records. It costs memory while catching up: about 2.2 GB peak RSS per process
 * (1.2 GB at 100,000 and 64 MiB; docs/performance-billing.md); live traffic makes small batches
 * anyway. Documents are row-locked, so a large batch does not fill Postgres's lock table. The larger
 * young generation lets a batch's objects die young.
 */
const BILLING_BATCHES = { CONSUMER_MAX_BATCH: '150000', CONSUMER_FETCH_BYTES: String(128 * 1024 * 1024) };
const BILLING_SEMI_SPACE = '--max-semi-space-size=64';

/**
 * An explicit old-space limit makes V8 grow the gateway's heap by a smaller factor between major
 * collections: its peak RSS under load falls from about 283 to 158-179 MiB (the 200 MB target), for
 * about a fifth of its throughput (npm run bench:ingest: 29,865 → 22,353-25,360 events/s on the quiet
 * machine). Lower limits (160-256) cost more; docs/performance.md has the table.
 */
const GATEWAY_HEAP = '--max-old-space-size=384';

export const PIPELINE_APPS: readonly AppSpec[] = [
  // The gateway stays a thin HTTP edge; its identity projection runs in its own worker.
  { name: 'gateway', label: 'gateway (ingest)', portVariable: 'PORT', paths: 'POST the five ingest APIs; GET /health, /metrics', entry: 'gateway/src/main.js', nodeArgs: [GATEWAY_HEAP], env: { IDENTITY_PROJECTION: 'off' } },
  { name: 'api', label: 'query API', portVariable: 'API_PORT', paths: 'GET /health, /v1/..., /docs, /dashboard', entry: 'api/src/main.js' },
  { name: 'billing', label: 'billing consumer', portVariable: 'BILLING_PORT', paths: 'GET /health, /metrics', entry: 'billing/src/main.js', nodeArgs: [BILLING_SEMI_SPACE], env: BILLING_BATCHES },
  { name: 'metering', label: 'metering consumer', portVariable: 'METERING_PORT', paths: 'GET /health, /metrics', entry: 'metering/src/main.js', nodeArgs: [METERING_SEMI_SPACE], env: METERING_BATCHES },
  { name: 'cohorts', label: 'cohorts consumer', portVariable: 'COHORTS_PORT', paths: 'GET /health, /metrics', entry: 'cohorts/src/main.js' },
  { name: 'identity', label: 'identity worker', portVariable: 'IDENTITY_PORT', paths: 'GET /health, /metrics', entry: 'gateway/src/identity/main.js' },
];

/** One app's spec, by name (its Node flags and settings, as `npm start` runs it). */
export function pipelineApp(name: AppSpec['name']): AppSpec {
  const app = PIPELINE_APPS.find((a) => a.name === name);
  if (app === undefined) throw new Error(`no pipeline app named ${name}`);
  return app;
}
