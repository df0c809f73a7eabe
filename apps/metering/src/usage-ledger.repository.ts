import type { ProjectionTx } from '@revstream/projections';
import { formatDecimal, type MeterKind, type MeterReading, parseDecimal, type UsageFact } from '@revstream/rating';

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The usage ledger: every reading that counted, once. Deduplication happens here and only here: a
 * reading is stored unless the ledger already holds its event's dedup key for that tenant and
 * customer (under any meter: a repeated Revenium transactionId with other payload keys still counts
 * nothing). The ledger is also the source a customer's periods are recomputed from.
 */
export class UsageLedgerRepository {
  constructor(private readonly tx: ProjectionTx) {}

  /**
   * Stores the readings whose key is new and returns them (the ones that count). `facts` must hold
   * each (tenant, customer, key, meter) once; the caller drops repeats within a batch.
   */
  async claim(facts: readonly UsageFact[]): Promise<UsageFact[]> {
    if (facts.length === 0) return [];
    const [result] = await this.tx.query<{ stored: number; fresh: number[] | null }>(
      `WITH input AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::numeric[])
           WITH ORDINALITY AS r(tenant_id, customer_id, dedup_key, meter, occurred_at, received_at, value, i)
       ), fresh AS (
         SELECT * FROM input r WHERE NOT EXISTS (
           SELECT 1 FROM ${this.tx.schema}.usage_ledger l
            WHERE l.tenant_id = r.tenant_id AND l.customer_id = r.customer_id AND l.dedup_key = r.dedup_key COLLATE "C")
       ), stored AS (
         INSERT INTO ${this.tx.schema}.usage_ledger (tenant_id, customer_id, dedup_key, meter, occurred_at, received_at, value)
         SELECT tenant_id, customer_id, dedup_key, meter, occurred_at, received_at, value FROM fresh
         ON CONFLICT DO NOTHING
         RETURNING 1
       )
       SELECT (SELECT count(*) FROM stored)::int AS stored, (SELECT array_agg(i::int ORDER BY i) FROM fresh) AS fresh`,
      [
        facts.map((f) => f.tenantId),
        facts.map((f) => f.customerId),
        facts.map((f) => f.key),
        facts.map((f) => f.meter),
        facts.map((f) => iso(f.occurredAt)),
        facts.map((f) => iso(f.receivedAt)),
        facts.map((f) => formatDecimal(f.value)),
      ],
    );
    const fresh = result!.fresh ?? [];
    // Only a concurrent transaction storing the same key in between can make these differ (two
    // topics' partitions of one customer); the retried batch then sees that key as stored.
    if (result!.stored !== fresh.length) throw new Error('usage ledger: a key was stored concurrently; retrying the batch');
    return fresh.length === facts.length ? [...facts] : fresh.map((i) => facts[i - 1]!);
  }

  /** A customer's readings, a page at a time, in key order. */
  async *readingsOf(tenantId: string, customerId: string, kinds: (meter: string) => MeterKind, pageSize = 20_000): AsyncGenerator<MeterReading[]> {
    let after: [string, string] | null = null;
    for (;;) {
      const page: Array<{ dedup_key: string; meter: string; occurred_at: Date; received_at: Date; value: string }> = await this.tx.query(
        `SELECT dedup_key, meter, occurred_at, received_at, value::text AS value FROM ${this.tx.schema}.usage_ledger
          WHERE tenant_id = $1 AND customer_id = $2 ${after ? 'AND (dedup_key, meter) > ($3::text COLLATE "C", $4::text)' : ''}
          ORDER BY dedup_key, meter LIMIT ${pageSize}`,
        after ? [tenantId, customerId, after[0], after[1]] : [tenantId, customerId],
      );
      if (page.length === 0) return;
      yield page.map((r) => ({
        tenantId,
        customerId,
        meter: r.meter,
        kind: kinds(r.meter),
        key: r.dedup_key,
        occurredAt: r.occurred_at.getTime(),
        receivedAt: r.received_at.getTime(),
        value: parseDecimal(r.value),
      }));
      if (page.length < pageSize) return;
      const last = page[page.length - 1]!;
      after = [last.dedup_key, last.meter];
    }
  }

  /** The meters a customer has readings of. */
  async metersOf(tenantId: string, customerId: string): Promise<string[]> {
    const rows = await this.tx.query<{ meter: string }>(
      `SELECT DISTINCT meter FROM ${this.tx.schema}.usage_ledger WHERE tenant_id = $1 AND customer_id = $2 ORDER BY meter`,
      [tenantId, customerId],
    );
    return rows.map((r) => r.meter);
  }
}
