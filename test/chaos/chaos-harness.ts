import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Envelope } from '@revstream/events';
import { EventPublisher } from '@revstream/kafka';
import { createSchemaDataSource, ensureDatabase, dropDatabase, runMigrations, schemaChecksums, type TableChecksum } from '@revstream/persistence';
import { type ProjectionAppDefinition, ProjectionRunner } from '@revstream/projections';
import { eventually, freePort, type IsolatedStack } from '@revstream/testing';
import { reveniumMeter, revlintEvent, revnuUsage, valuedSubscription } from '../../apps/metering/src/testing/metering-fixtures';
import { caughtUp, logger, prng, type ReplayStack, replayStack } from '../replay/determinism';

/**
 * What the chaos scenarios (issue 10) share: a seeded workload, the real consumer apps as child
 * processes (built with `npm run build`, as `npm start` runs them), clean reference runs in a database
 * of their own, and checksums of every table of a schema.
 */

export const ROOT = join(__dirname, '..', '..');

/** The seed of every random choice in the suite: CHAOS_SEED to reproduce a run, printed by each scenario. */
export const CHAOS_SEED = Number(process.env.CHAOS_SEED ?? 20_261_121);

let built = false;
/** Builds dist/ once per jest worker: the child processes run what `npm start` runs. */
export function buildOnce(): void {
  if (built) return;
  execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'ignore' });
  built = true;
}

/**
 * Metering usage across three tenants and a few hundred customers: Revnu usage, Revenium meter
 * events (some sharing a transaction id: the source's idempotency key dedups them), Revenue Linter
 * limits and Valued subscriptions. Event ids are fixed by `i`, so the log is the same for a seed.
 */
export function meteringWorkload(count: number, seed: number, label = 'chaos'): Envelope[] {
  const rand = prng(seed);
  const out: Envelope[] = [];
  for (let i = 0; i < count; i++) {
    const tenantId = ['tn_chaos_a', 'tn_chaos_b', 'tn_chaos_c'][i % 3]!;
    const customer = `cus_${Math.floor(rand() * 400)}`;
    const at = new Date(Date.UTC(2026, 4, 1) + Math.floor(rand() * 60 * 86_400_000)).toISOString();
    const eventId = `${label}-${seed}-${i}`;
    const roll = rand();
    if (roll < 0.8) out.push(revnuUsage(customer, 1 + Math.floor(rand() * 50), rand() < 0.5 ? 'api_calls' : 'emails', { tenantId, occurredAt: at, eventId }));
    else if (roll < 0.95) out.push(reveniumMeter(customer, `txn-${i % 7_000}`, { tokens: 1 + Math.floor(rand() * 900) }, { tenantId, occurredAt: at, eventId }));
    else if (roll < 0.999) out.push(revlintEvent(customer, 'API_LIMIT_USED', { usage: Math.floor(rand() * 1000), limit: 1000 }, { tenantId, occurredAt: at, eventId }));
    else out.push(valuedSubscription(customer, `sub_${customer}`, '2026-05-04T00:00:00.000Z', 'month', 1, { tenantId, eventId }));
  }
  return out;
}

/** Chaos loads are larger than replay's: longer publish timeouts, bigger produce requests. */
const CHAOS_PUBLISHER = { publishTimeoutMs: 30_000, maxRecordsPerRequest: 2_000, compression: 'none' } as const;

export function chaosPublisher(stack: IsolatedStack): EventPublisher {
  return new EventPublisher(stack.kafka, stack.topics, CHAOS_PUBLISHER);
}

/** A stack of the spec file's own (4 partitions) and a chaos publisher, set up before its tests and cleaned up after. */
export const chaosStack = (label: string): (() => ReplayStack) => replayStack(label, { publisher: CHAOS_PUBLISHER });

export async function publishAll(publisher: EventPublisher, events: readonly Envelope[], chunk = 5_000): Promise<void> {
  for (let i = 0; i < events.length; i += chunk) await publisher.publish(events.slice(i, i + chunk));
}

/** Tables that describe a schema rather than project the log (as replay's verify): never compared. */
const NOT_COMPARED = new Set(['migrations', 'projection_meta']);

/** A checksum of every table of the app's schema in the database at `url`. */
export async function appChecksums(url: string, app: ProjectionAppDefinition): Promise<TableChecksum[]> {
  const ds = createSchemaDataSource({ url, schema: app.schema, migrations: app.migrations, poolSize: 1 });
  await ds.initialize();
  try {
    const tables = ((await ds.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY table_name`,
      [app.schema],
    )) as Array<{ table_name: string }>)
      .map((r) => r.table_name)
      .filter((t) => !NOT_COMPARED.has(t));
    return await schemaChecksums(ds, app.schema, tables);
  } finally {
    await ds.destroy();
  }
}

/** Whether the app's checkpoints in the database at `url` have reached the end of every partition of its topics. */
export async function appCaughtUp(stack: IsolatedStack, app: ProjectionAppDefinition, url: string): Promise<boolean> {
  const ds = createSchemaDataSource({ url, schema: app.schema, migrations: app.migrations, poolSize: 1 });
  try {
    await ds.initialize();
    const [{ ready }] = (await ds.query(`SELECT to_regclass($1) IS NOT NULL AS ready`, [`${app.schema}.checkpoints`])) as Array<{ ready: boolean }>;
    return ready && (await caughtUp(stack, app, ds));
  } catch {
    return false; // the database is restarting, or the app has not migrated yet
  } finally {
    if (ds.isInitialized) await ds.destroy();
  }
}

/** Records applied so far by the app in the database at `url` (the sum of its checkpoints' positions). */
export async function appliedSoFar(url: string, app: ProjectionAppDefinition): Promise<number> {
  const ds = createSchemaDataSource({ url, schema: app.schema, migrations: app.migrations, poolSize: 1 });
  try {
    await ds.initialize();
    const [{ exists }] = (await ds.query(`SELECT to_regclass($1) IS NOT NULL AS exists`, [`${app.schema}.checkpoints`])) as Array<{ exists: boolean }>;
    if (!exists) return 0;
    return Number((await ds.query(`SELECT coalesce(sum("offset" + 1), 0)::bigint::text AS n FROM ${app.schema}.checkpoints WHERE "offset" >= 0`))[0].n);
  } catch {
    return -1;
  } finally {
    if (ds.isInitialized) await ds.destroy();
  }
}

/**
 * The reference: the app's handlers, in this process, project the stack's topics into a fresh
 * database of their own (one instance, default batches, no fault), and every table's checksum.
 */
export async function cleanRun(stack: IsolatedStack, app: ProjectionAppDefinition, publisher: EventPublisher): Promise<TableChecksum[]> {
  const url = new URL(stack.databaseUrl);
  url.pathname = `${url.pathname}_clean`;
  const cleanUrl = url.toString();
  await ensureDatabase(cleanUrl);
  const ds = createSchemaDataSource({ url: cleanUrl, schema: app.schema, migrations: app.migrations, poolSize: 6 });
  await runMigrations(ds, cleanUrl);
  const runners = app.handlers.map((handler) => new ProjectionRunner({ kafka: stack.kafka, dataSource: ds, topics: stack.topics, handler, publisher, logger }));
  try {
    for (const r of runners) await r.start();
    if (!(await eventually(() => caughtUp(stack, app, ds), Boolean, 300_000, 500))) throw new Error(`the clean ${app.name} run did not catch up`);
    for (const r of runners) await r.stop();
    await ds.destroy();
    return await appChecksums(cleanUrl, app);
  } finally {
    for (const r of runners) await r.stop();
    if (ds.isInitialized) await ds.destroy();
    await dropDatabase(cleanUrl);
  }
}

/** A consumer app as `npm start` runs it: `node dist/apps/<app>/src/main.js`, in a process of its own. */
export interface AppProcess {
  child: ChildProcess;
  /** Its /health and /metrics listener. */
  port: number;
  /** What it wrote to stderr so far (a failed start says why). */
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function spawnConsumerApp(app: 'metering' | 'billing' | 'cohorts', env: Record<string, string>): Promise<AppProcess> {
  buildOnce();
  const portVar = { metering: 'METERING_PORT', billing: 'BILLING_PORT', cohorts: 'COHORTS_PORT' }[app];
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'apps', app, 'src', 'main.js')], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'error', ...env, [portVar]: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-20_000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, port, stderr: () => stderr, exited };
}

/** Records a consumer app process applied so far, from its /metrics (revstream_consumer_events_total, outcome applied); -1 while it does not answer. */
export async function appliedByProcess(p: AppProcess): Promise<number> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${p.port}/metrics`)).text();
    return text
      .split('\n')
      .filter((l) => l.startsWith('revstream_consumer_events_total{') && l.includes('outcome="applied"'))
      .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  } catch {
    return -1;
  }
}

/** SIGKILLs a child and waits until it is gone. */
export async function kill9(p: AppProcess): Promise<void> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await p.exited;
}

/** SIGTERM (a clean shutdown) and wait. */
export async function stopApp(p: AppProcess): Promise<void> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
  await p.exited;
}

/** Every table whose rows differ from the clean run's (or that only one side has), with both checksums; empty when identical. */
export function differences(actual: readonly TableChecksum[], clean: readonly TableChecksum[]): string[] {
  const byTable = new Map(clean.map((c) => [c.table, c]));
  const out: string[] = [];
  for (const a of actual) {
    const c = byTable.get(a.table);
    if (!c) out.push(`${a.table}: not in the clean run`);
    else if (c.md5 !== a.md5 || c.rows !== a.rows) out.push(`${a.table}: ${a.rows} rows md5 ${a.md5}, clean ${c.rows} rows md5 ${c.md5}`);
    byTable.delete(a.table);
  }
  for (const t of byTable.keys()) out.push(`${t}: missing`);
  return out;
}

/** One line of the figures the suite prints for docs/reliability.md. */
export function report(scenario: string, figures: Record<string, string | number>): void {
  process.stdout.write(`[chaos] ${scenario}: ${Object.entries(figures).map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
}
