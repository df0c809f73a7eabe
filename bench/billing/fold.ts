import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { Command } from 'commander';
import { decodeEnvelope, encodeEnvelope, type JsonValue } from '@revstream/events';
import { jsonEqual, ReadModelDiff } from '@revstream/projections';
import { billingProjection, type BillingEvent } from '../../apps/billing/src/billing.projection';
import { billingReadModel } from '../../apps/billing/src/billing.read-model';
import type { BillingDocument } from '../../apps/billing/src/billing.state';
import { billingWorkload } from '../../apps/billing/src/testing/billing-workload';
import { startCpuProfiler } from '../shared/cpu-profiler';
import { runToExit } from '../shared/run-to-exit';

/**
 * `node dist/bench/billing/fold.js` (after `npm run build`): the billing adapter's work in Node, with
 * no Kafka and no Postgres. The billing benchmark's workload (one partition's share by default) is
 * encoded as records in memory, then applied in batches as `documentProjectionHandler` applies them:
 * decode, load the touched documents (`JSON.parse` of their stored text), fold with the projection's
 * `evolve`, render before and after, diff, and store (`JSON.stringify`). Documents live in a Map.
 * It reports CPU and wall time per event for each round, and a sha256 of every stored document's
 * text: a change that alters a document shows at once. A tool for iterating on billing's CPU per
 * event; `npm run bench:billing` is the figure. `PROFILE=<file>` writes a CPU profile of the rounds.
 */
interface Options {
  customers: number;
  eventsPerCustomer: number;
  batch: number;
  rounds: number;
}

const log = (line: string): void => void process.stderr.write(`${line}\n`);

function fold(records: readonly Buffer[], batch: number): { store: Map<string, string>; rows: number } {
  const store = new Map<string, string>();
  const handles = new Set<string>(billingProjection.canHandle);
  let rows = 0;
  for (let from = 0; from < records.length; from += batch) {
    const candidates: Array<{ event: BillingEvent; key: string }> = [];
    for (let i = from; i < Math.min(records.length, from + batch); i++) {
      const event = decodeEnvelope(records[i]!, { topic: 'bench', partition: 0, offset: String(i) });
      if (!handles.has(event.type)) continue;
      const key = billingProjection.keyOf(event as BillingEvent);
      if (key !== null) candidates.push({ event: event as BillingEvent, key });
    }
    const keys = [...new Set(candidates.map((c) => c.key))].sort();
    const loaded = new Map<string, BillingDocument>();
    for (const key of keys) {
      const text = store.get(key);
      if (text !== undefined) loaded.set(key, JSON.parse(text) as BillingDocument);
    }
    const states = new Map<string, BillingDocument>();
    for (const { event, key } of candidates) states.set(key, billingProjection.evolve(states.get(key) ?? loaded.get(key) ?? billingProjection.initialState(), event));
    const diff = new ReadModelDiff(billingReadModel.tables);
    for (const key of keys) {
      const state = states.get(key)!;
      const before = loaded.get(key);
      if (before !== undefined && jsonEqual(state as unknown as JsonValue, before as unknown as JsonValue)) continue;
      diff.add(billingReadModel.render(key, before ?? billingProjection.initialState()), billingReadModel.render(key, state));
      store.set(key, JSON.stringify(state));
    }
    for (const table of billingReadModel.tables) {
      const { upserts, deletes } = diff.changesTo(table.name);
      rows += upserts.length + deletes.length;
    }
  }
  return { store, rows };
}

function digest(store: Map<string, string>): string {
  const hash = createHash('sha256');
  for (const key of [...store.keys()].sort()) hash.update(`${key}\u0000${store.get(key)!}\n`);
  return hash.digest('hex');
}

async function run(options: Options): Promise<void> {
  const tenants = ['tn_a', 'tn_b', 'tn_c', 'tn_d', 'tn_e'];
  const records: Buffer[] = [];
  const workload = billingWorkload({ tenants, customersPerTenant: Math.ceil(options.customers / tenants.length), eventsPerCustomer: options.eventsPerCustomer, interleave: 'round-robin' });
  for (const envelope of workload) records.push(Buffer.from(encodeEnvelope(envelope).value));
  log(`${records.length.toLocaleString()} events of ${options.customers.toLocaleString()} customers, batches of ${options.batch.toLocaleString()}`);
  const profileFile = process.env.PROFILE;
  const profiler = profileFile ? await startCpuProfiler() : undefined;
  for (let round = 1; round <= options.rounds; round++) {
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    const { store, rows } = fold(records, options.batch);
    const used = process.cpuUsage(cpu);
    const wall = Number(process.hrtime.bigint() - started) / 1_000;
    log(
      `round ${round}: ${((used.user + used.system) / records.length).toFixed(1)} µs of CPU and ${(wall / records.length).toFixed(1)} µs of wall time per event; ` +
        `${store.size.toLocaleString()} documents (sha256 ${digest(store)}), ${rows.toLocaleString()} row changes`,
    );
  }
  if (profiler && profileFile) log(`profile written to ${await profiler.stop(profileFile)}`);
}

if (require.main === module) {
  void new Command('bench-billing-fold')
    .description("the billing adapter's work in Node (decode, evolve, render, diff, JSON), without Kafka or Postgres")
    .option('--customers <n>', 'customers (the default is one of bench:billing’s six partitions)', (v) => Number(v), 16_700)
    .option('--events-per-customer <n>', 'events per customer', (v) => Number(v), 10)
    .option('--batch <n>', 'events per batch (transaction)', (v) => Number(v), 100_000)
    .option('--rounds <n>', 'times the whole fold is repeated', (v) => Number(v), 3)
    .action((options: Options) => runToExit('bench:billing:fold', run(options)))
    .parse(process.argv);
}
