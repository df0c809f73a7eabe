import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { LedgerRow } from '../../apps/metering/src/usage-ledger.repository';

/**
 * Postgres's raw insert rate for the rows the metering run stored: the usage ledger's rows, read
 * back in the order they were inserted and written again, in batches of the same size, into a copy
 * of the ledger table (same columns, same primary key), with nothing else: no folding, no merging,
 * no rating. Only the inserts are timed, not the reading.
 */
export interface RawInsertResult {
  method: 'unnest' | 'copy';
  rows: number;
  seconds: number;
  rowsPerSecond: number;
}

async function* ledgerBatches(url: string, schema: string, batch: number): AsyncGenerator<LedgerRow[]> {
  const reader = new Client({ connectionString: url });
  await reader.connect();
  try {
    await reader.query('BEGIN');
    await reader.query(
      `DECLARE ledger NO SCROLL CURSOR FOR SELECT tenant_id, customer_id, dedup_key, meter, occurred_at::text, received_at::text, value::text FROM "${schema}".usage_ledger`,
    );
    for (;;) {
      const { rows } = await reader.query<LedgerRow>(`FETCH ${batch} FROM ledger`);
      if (rows.length === 0) break;
      yield rows;
    }
    await reader.query('COMMIT');
  } finally {
    await reader.end();
  }
}

async function freshCopy(writer: Client, schema: string, table: string): Promise<void> {
  await writer.query(`DROP TABLE IF EXISTS "${schema}".${table}`);
  await writer.query(`CREATE TABLE "${schema}".${table} (LIKE "${schema}".usage_ledger INCLUDING ALL)`);
}

export async function rawInsertRate(url: string, schema: string, batch: number, method: 'unnest' | 'copy'): Promise<RawInsertResult> {
  const writer = new Client({ connectionString: url });
  await writer.connect();
  const table = `raw_ledger_${method}`;
  let rows = 0;
  let nanos = 0n;
  try {
    await freshCopy(writer, schema, table);
    for await (const page of ledgerBatches(url, schema, batch)) {
      const started = process.hrtime.bigint();
      if (method === 'unnest') {
        await writer.query(
          `INSERT INTO "${schema}".${table} (tenant_id, customer_id, dedup_key, meter, occurred_at, received_at, value)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::numeric[])
           ON CONFLICT DO NOTHING`,
          [
            page.map((r) => r.tenant_id),
            page.map((r) => r.customer_id),
            page.map((r) => r.dedup_key),
            page.map((r) => r.meter),
            page.map((r) => r.occurred_at),
            page.map((r) => r.received_at),
            page.map((r) => r.value),
          ],
        );
      } else {
        await writer.query('BEGIN');
        const stream = writer.query(copyFrom(`COPY "${schema}".${table} (tenant_id, customer_id, dedup_key, meter, occurred_at, received_at, value) FROM STDIN`));
        const text = page.map((r) => `${r.tenant_id}\t${r.customer_id}\t${r.dedup_key}\t${r.meter}\t${r.occurred_at}\t${r.received_at}\t${r.value}\n`).join('');
        await pipeline(Readable.from([text]), stream);
        await writer.query('COMMIT');
      }
      nanos += process.hrtime.bigint() - started;
      rows += page.length;
    }
    await writer.query(`DROP TABLE "${schema}".${table}`);
  } finally {
    await writer.end();
  }
  const seconds = Number(nanos) / 1e9;
  return { method, rows, seconds, rowsPerSecond: rows / seconds };
}
