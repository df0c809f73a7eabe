/**
 * How much a document costs Postgres to store and load, by the `documents.state` column's type:
 * jsonb (before DocumentsStateText1763700005000) against text, each with pglz and lz4 compression.
 * Billing documents are built in memory by folding the billing benchmark's workload through the
 * projection's own `evolve` (no Kafka), then each variant runs the handler's two statements on the
 * same documents, alternating variants round after round on one connection:
 *  - the upsert (`INSERT … SELECT … FROM (VALUES …) ON CONFLICT DO UPDATE`, 1,000 documents per statement);
 *  - the load (`SELECT … FOR UPDATE` in key order, then `JSON.parse` of each state, as the handler does).
 * Writes bench/results/documents-<date>.md and .json. `npm run bench:documents [-- --documents N --rounds R]`.
 */
import { Command } from 'commander';
import { Client } from 'pg';
import { DEFAULT_DATABASE_URL } from '@revstream/config';
import { canHandle, decodeEnvelope, encodeEnvelope } from '@revstream/events';
import { dropDatabase, ensureDatabase } from '@revstream/persistence';
import { type BillingEvent, billingProjection } from '../../apps/billing/src/billing.projection';
import type { BillingDocument } from '../../apps/billing/src/billing.state';
import { billingWorkload } from '../../apps/billing/src/testing/billing-workload';
import { machineDescription, today, writeReport, type BenchFigure } from '../shared/results';
import { runToExit } from '../shared/run-to-exit';

interface Variant {
  name: string;
  column: string;
  cast: string;
}

const VARIANTS: readonly Variant[] = [
  { name: 'jsonb, pglz (before)', column: 'jsonb', cast: '::jsonb' },
  { name: 'jsonb, lz4', column: 'jsonb COMPRESSION lz4', cast: '::jsonb' },
  { name: 'text, pglz', column: 'text', cast: '' },
  { name: 'text, lz4 (now)', column: 'text COMPRESSION lz4', cast: '' },
];
const PER_STATEMENT = 1_000;

/** Billing documents as the projection builds them: the workload's events folded per document key. */
function billingDocuments(customers: number): Array<{ key: string; text: string }> {
  const states = new Map<string, BillingDocument>();
  const tenants = ['tn_doc_a', 'tn_doc_b'];
  for (const envelope of billingWorkload({ tenants, customersPerTenant: Math.ceil(customers / tenants.length), eventsPerCustomer: 10, idPrefix: 'd', interleave: 'round-robin' })) {
    const event = decodeEnvelope(encodeEnvelope(envelope).value);
    if (!canHandle<BillingEvent>(billingProjection, event)) continue;
    const key = billingProjection.keyOf(event);
    if (key === null) continue;
    states.set(key, billingProjection.evolve(states.get(key) ?? billingProjection.initialState(), event));
  }
  return [...states].map(([key, state]) => ({ key, text: JSON.stringify(state) })).sort((a, b) => (a.key < b.key ? -1 : 1));
}

async function main(): Promise<void> {
  const options = new Command()
    .option('--documents <n>', 'billing documents (customers) to build', (v) => Number(v), 20_000)
    .option('--rounds <n>', 'rounds, each running every variant once', (v) => Number(v), 6)
    .option('--no-write', 'do not write bench/results')
    .parse()
    .opts<{ documents: number; rounds: number; write: boolean }>();
  const base = new URL(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL);
  base.pathname = `/rs_bench_documents_${Date.now().toString(36)}`;
  const url = base.toString();
  await ensureDatabase(url);
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const docs = billingDocuments(options.documents);
    const bytes = docs.reduce((n, d) => n + Buffer.byteLength(d.text), 0) / docs.length;
    console.log(`[bench:documents] ${docs.length.toLocaleString('en-US')} billing documents, ${Math.round(bytes).toLocaleString('en-US')} bytes of JSON each on average`);
    const lz4 = (await client.query(`SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)`)).rowCount !== 0;
    const variants = VARIANTS.filter((v) => lz4 || !v.column.includes('lz4'));
    for (const [i, v] of variants.entries()) {
      await client.query(`CREATE TABLE documents_${i} (projection text NOT NULL, key text NOT NULL, state ${v.column} NOT NULL, PRIMARY KEY (projection, key))`);
    }
    const spent = variants.map(() => ({ upsert: 0, load: 0 }));
    for (let round = 0; round < options.rounds; round++) {
      for (const [i, v] of variants.entries()) {
        let started = process.hrtime.bigint();
        await client.query('BEGIN');
        for (let from = 0; from < docs.length; from += PER_STATEMENT) {
          const params: string[] = ['billing'];
          const values: string[] = [];
          for (const d of docs.slice(from, from + PER_STATEMENT)) {
            params.push(d.key, d.text);
            values.push(`($${params.length - 1}, $${params.length})`);
          }
          await client.query(
            `INSERT INTO documents_${i} (projection, key, state) SELECT $1, d.k, d.s${v.cast} FROM (VALUES ${values.join(', ')}) AS d(k, s)
             ON CONFLICT (projection, key) DO UPDATE SET state = EXCLUDED.state`,
            params,
          );
        }
        await client.query('COMMIT');
        spent[i]!.upsert += Number(process.hrtime.bigint() - started);

        started = process.hrtime.bigint();
        await client.query('BEGIN');
        const { rows } = await client.query<{ key: string; state: unknown }>(
          `SELECT d.key, d.state FROM documents_${i} d WHERE d.projection = 'billing' AND d.key = ANY($1::text[]) ORDER BY d.key FOR UPDATE OF d`,
          [docs.map((d) => d.key)],
        );
        // pg parses jsonb itself; text is parsed here, as the handler does.
        for (const r of rows) if (typeof r.state === 'string') r.state = JSON.parse(r.state) as unknown;
        await client.query('COMMIT');
        spent[i]!.load += Number(process.hrtime.bigint() - started);
        if (rows.length !== docs.length) throw new Error(`${v.name}: loaded ${rows.length} of ${docs.length} documents`);
      }
    }
    const perDoc = (ns: number): number => Math.round((ns / options.rounds / docs.length / 1000) * 10) / 10;
    const figures: BenchFigure[] = [];
    for (const [i, v] of variants.entries()) {
      const upsert = perDoc(spent[i]!.upsert);
      const load = perDoc(spent[i]!.load);
      const size = (await client.query<{ size: string }>(`SELECT pg_size_pretty(pg_total_relation_size('documents_${i}')) AS size`)).rows[0]!.size;
      console.log(`[bench:documents] ${v.name.padEnd(22)} upsert ${upsert} µs/document, load ${load} µs/document, ${size}`);
      figures.push({ stage: 'documents', metric: `upsert, state ${v.name}`, value: upsert, unit: 'µs/document' });
      figures.push({ stage: 'documents', metric: `load with FOR UPDATE + JSON.parse, state ${v.name}`, value: load, unit: 'µs/document', notes: `table and index: ${size}` });
    }
    if (options.write) {
      const md = writeReport(`documents-${today()}`, {
        title: 'Documents: what storing and loading one costs Postgres, by column type',
        date: new Date().toISOString(),
        machine: machineDescription(),
        command: 'npm run bench:documents',
        figures,
        details: { documents: docs.length, averageJsonBytes: Math.round(bytes), rounds: options.rounds, documentsPerStatement: PER_STATEMENT, lz4 },
      });
      console.log(`[bench:documents] written to ${md}`);
    }
  } finally {
    await client.end();
    await dropDatabase(url);
  }
}

runToExit('bench:documents', main());
