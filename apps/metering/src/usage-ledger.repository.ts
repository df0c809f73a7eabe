import { BinaryCopyWriter, boolArray, int8Array, numericArray, textArray } from '@revstream/persistence';
import type { ProjectionTx } from '@revstream/projections';
import { EVENT_ID_KEY_PREFIX, LedgerClaims, type LedgerRowKey, type MeterKind, type MeterReading, parseDecimal, type UsageFact } from '@revstream/rating';
import { fromMs, toMs } from './sql-time';

const LEDGER_KEY = '(tenant_id, customer_id, dedup_key, meter)';

/** A ledger row as text (instants as epoch ms when recomputation reads it, the value as text). */
export interface LedgerRow {
  tenant_id: string;
  customer_id: string;
  dedup_key: string;
  meter: string;
  occurred_at: string;
  received_at: string;
  value: string;
}

const readingOf = (r: LedgerRow, kindOf: (tenantId: string, meter: string) => MeterKind): MeterReading => ({
  tenantId: r.tenant_id,
  customerId: r.customer_id,
  meter: r.meter,
  kind: kindOf(r.tenant_id, r.meter),
  key: r.dedup_key,
  occurredAt: Number(r.occurred_at),
  receivedAt: Number(r.received_at),
  value: parseDecimal(r.value),
});

/**
 * The usage ledger: every reading that counted, once. Deduplication happens here (and, in a rebuild's
 * bulk phase, in BulkUsageLedger below, by the same rule in memory): a
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
    const [result] = await this.tx.query<{ skipped: number[] | null }>(
      `WITH input AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::numeric[], $8::bool[])
           WITH ORDINALITY AS r(tenant_id, customer_id, dedup_key, meter, occurred_ms, received_ms, value, keyed, i)
       ), fresh AS (
         -- A source idempotency key is claimed for the whole event: a repeat with other payload keys
         -- finds it under its first meters. Event ids only ever repeat with the same content, so the
         -- primary key alone decides for them (the probe is skipped). One index probe per keyed
         -- reading (LATERAL … LIMIT 1): a NOT EXISTS gets planned as an anti-join over the whole ledger.
         SELECT r.* FROM input r
           LEFT JOIN LATERAL (
             SELECT 1 AS hit FROM ${this.tx.schema}.usage_ledger l
              WHERE r.keyed AND l.tenant_id = r.tenant_id AND l.customer_id = r.customer_id AND l.dedup_key = r.dedup_key COLLATE "C"
              LIMIT 1) seen ON true
          WHERE seen.hit IS NULL
       ), stored AS (
         INSERT INTO ${this.tx.schema}.usage_ledger (tenant_id, customer_id, dedup_key, meter, occurred_at, received_at, value)
         SELECT tenant_id, customer_id, dedup_key, meter, ${fromMs('occurred_ms')}, ${fromMs('received_ms')}, value FROM fresh
         ON CONFLICT DO NOTHING
         RETURNING tenant_id, customer_id, dedup_key, meter
       )
       -- The readings that did not count (usually none or a few: less to send back than those that did).
       SELECT array_agg(r.i::int ORDER BY r.i) AS skipped
         FROM input r
        WHERE NOT EXISTS (SELECT 1 FROM stored s
                           WHERE s.tenant_id = r.tenant_id AND s.customer_id = r.customer_id AND s.dedup_key = r.dedup_key COLLATE "C" AND s.meter = r.meter)`,
      [
        textArray(facts.map((f) => f.tenantId)),
        textArray(facts.map((f) => f.customerId)),
        textArray(facts.map((f) => f.key)),
        textArray(facts.map((f) => f.meter)),
        int8Array(facts.map((f) => f.occurredAt)),
        int8Array(facts.map((f) => f.receivedAt)),
        numericArray(facts.map((f) => f.value)),
        boolArray(facts.map((f) => !f.key.startsWith(EVENT_ID_KEY_PREFIX))),
      ],
    );
    // A reading whose primary key was already stored (its event id was counted before: a
    // republished record) is not returned; neither is one whose source key was claimed before.
    const skipped = result!.skipped ?? [];
    if (skipped.length === 0) return [...facts];
    const skip = new Set(skipped);
    return facts.filter((_, i) => !skip.has(i + 1));
  }

  /**
   * The readings of these customers, a group of customers at a time (all of one customer's readings
   * come in one group). For recomputing periods; customers without readings simply yield nothing.
   */
  async *readingsOf(
    customers: ReadonlyArray<{ tenantId: string; customerId: string }>,
    kindOf: (tenantId: string, meter: string) => MeterKind,
    customersPerGroup = 200,
  ): AsyncGenerator<MeterReading[]> {
    for (let i = 0; i < customers.length; i += customersPerGroup) {
      const group = customers.slice(i, i + customersPerGroup);
      const rows: LedgerRow[] =
        await this.tx.query(
          `SELECT l.tenant_id, l.customer_id, l.dedup_key, l.meter, ${toMs('l.occurred_at')} AS occurred_at, ${toMs('l.received_at')} AS received_at, l.value::text AS value
             FROM unnest($1::text[], $2::text[]) AS k(tenant_id, customer_id)
             JOIN LATERAL (SELECT * FROM ${this.tx.schema}.usage_ledger l WHERE l.tenant_id = k.tenant_id AND l.customer_id = k.customer_id) l ON true`,
          [textArray(group.map((c) => c.tenantId)), textArray(group.map((c) => c.customerId))],
        );
      if (rows.length === 0) continue;
      yield rows.map((r) => readingOf(r, kindOf));
    }
  }

  /** The customers, among these, that have any readings (one index probe each). */
  async customersWithReadings(customers: ReadonlyArray<{ tenantId: string; customerId: string }>): Promise<Set<string>> {
    if (customers.length === 0) return new Set();
    const rows = await this.tx.query<{ tenant_id: string; customer_id: string }>(
      `SELECT k.tenant_id, k.customer_id FROM unnest($1::text[], $2::text[]) AS k(tenant_id, customer_id)
         JOIN LATERAL (SELECT 1 FROM ${this.tx.schema}.usage_ledger l WHERE l.tenant_id = k.tenant_id AND l.customer_id = k.customer_id LIMIT 1) hit ON true`,
      [textArray(customers.map((c) => c.tenantId)), textArray(customers.map((c) => c.customerId))],
    );
    return new Set(rows.map((r) => `${r.tenant_id}\u0000${r.customer_id}`));
  }
}

/** What a bulk phase knows of its ledger, in memory: every key it holds, and how many rows committed transactions wrote. */
export class BulkLedgerState {
  readonly claims = new LedgerClaims();
  rows = 0;
}

/** A batch's new ledger rows as binary COPY data, a reading at a time (a rebuild's bulk phase: BulkUsageLedger). */
export class LedgerRows {
  private readonly data = new BinaryCopyWriter(1 << 20);
  count = 0;

  add(f: UsageFact): void {
    this.count++;
    this.data.row(7).text(f.tenantId).text(f.customerId).text(f.key).text(f.meter).timestamptz(f.occurredAt).timestamptz(f.receivedAt).numeric(f.value);
  }

  /** Appends them to the ledger, with one COPY. */
  async copyTo(tx: ProjectionTx): Promise<void> {
    if (this.count === 0) return;
    await tx.copyFrom(
      `COPY ${tx.schema}.usage_ledger (tenant_id, customer_id, dedup_key, meter, occurred_at, received_at, value) FROM STDIN (FORMAT binary)`,
      this.data.finish(),
    );
  }
}

/**
 * The ledger during a rebuild's bulk phase (MeteringBulkRebuild): it has no primary key meanwhile.
 * Checking and updating that key costs more than anything else a rebuild does per reading; built
 * once at the end, it costs a fraction. The same dedup rule is decided in memory by LedgerClaims
 * over every key the rebuild has written (BulkLedgerState), and new rows are appended with binary
 * COPY (LedgerRows).
 */
export class BulkUsageLedger extends UsageLedgerRepository {
  constructor(private readonly bulkTx: ProjectionTx) {
    super(bulkTx);
  }

  /** All these customers' readings with one scan of the ledger (no index to look them up by meanwhile). */
  override async *readingsOf(
    customers: ReadonlyArray<{ tenantId: string; customerId: string }>,
    kindOf: (tenantId: string, meter: string) => MeterKind,
  ): AsyncGenerator<MeterReading[]> {
    if (customers.length === 0) return;
    const rows = await this.bulkTx.query<LedgerRow>(
      `SELECT l.tenant_id, l.customer_id, l.dedup_key, l.meter, ${toMs('l.occurred_at')} AS occurred_at, ${toMs('l.received_at')} AS received_at, l.value::text AS value
         FROM ${this.bulkTx.schema}.usage_ledger l
         JOIN unnest($1::text[], $2::text[]) AS k(tenant_id, customer_id) ON l.tenant_id = k.tenant_id AND l.customer_id = k.customer_id`,
      [textArray(customers.map((c) => c.tenantId)), textArray(customers.map((c) => c.customerId))],
    );
    if (rows.length > 0) yield rows.map((r) => readingOf(r, kindOf));
  }

  /** Every reading, a page at a time (one scan: a bulk phase that ends without its periods in memory refolds them all). */
  static async *allReadings(tx: ProjectionTx, kindOf: (tenantId: string, meter: string) => MeterKind, pageSize = 50_000): AsyncGenerator<MeterReading[]> {
    await tx.query(
      `DECLARE ledger_readings NO SCROLL CURSOR FOR
         SELECT tenant_id, customer_id, dedup_key, meter, ${toMs('occurred_at')} AS occurred_at, ${toMs('received_at')} AS received_at, value::text AS value
           FROM ${tx.schema}.usage_ledger`,
    );
    for (;;) {
      const rows = await tx.query<LedgerRow>(`FETCH ${pageSize} FROM ledger_readings`);
      if (rows.length === 0) break;
      yield rows.map((r) => readingOf(r, kindOf));
    }
    await tx.query('CLOSE ledger_readings');
  }

  /** Every customer with readings. */
  static async customers(tx: ProjectionTx): Promise<Array<{ tenantId: string; customerId: string }>> {
    const rows = await tx.query<{ tenant_id: string; customer_id: string }>(`SELECT DISTINCT tenant_id, customer_id FROM ${tx.schema}.usage_ledger`);
    return rows.map((r) => ({ tenantId: r.tenant_id, customerId: r.customer_id }));
  }

  /** How many rows the ledger holds. */
  static async rowCount(tx: ProjectionTx): Promise<number> {
    const [row] = await tx.query<{ n: string }>(`SELECT count(*) AS n FROM ${tx.schema}.usage_ledger`);
    return Number(row!.n);
  }

  /** Whether the ledger has its primary key (no bulk phase is under way). */
  static async hasKey(tx: ProjectionTx): Promise<boolean> {
    const [has] = await tx.query<{ found: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass($1) AND contype = 'p') AS found`,
      [`${tx.schema}.usage_ledger`],
    );
    return has!.found;
  }

  /** Drops the ledger's primary key for the bulk phase (if it still has it). */
  static async dropKey(tx: ProjectionTx): Promise<void> {
    await tx.query(`ALTER TABLE ${tx.schema}.usage_ledger DROP CONSTRAINT IF EXISTS usage_ledger_pkey`);
  }

  /** Builds the primary key again, once, over every row (unless the ledger has it). */
  static async restoreKey(tx: ProjectionTx): Promise<void> {
    if (await BulkUsageLedger.hasKey(tx)) return;
    // One sort of the whole ledger: with room for it in memory, it need not spill to disk.
    await tx.query(`SET LOCAL maintenance_work_mem = '256MB'`);
    await tx.query(`ALTER TABLE ${tx.schema}.usage_ledger ADD CONSTRAINT usage_ledger_pkey PRIMARY KEY ${LEDGER_KEY}`);
  }

  /** Every row's key, a page at a time (a resumed bulk phase registers them). */
  static async *rowKeys(tx: ProjectionTx, pageSize = 50_000): AsyncGenerator<LedgerRowKey[]> {
    await tx.query(`DECLARE ledger_keys NO SCROLL CURSOR FOR SELECT tenant_id, customer_id, dedup_key, meter FROM ${tx.schema}.usage_ledger`);
    for (;;) {
      const rows = await tx.query<{ tenant_id: string; customer_id: string; dedup_key: string; meter: string }>(`FETCH ${pageSize} FROM ledger_keys`);
      if (rows.length === 0) break;
      yield rows.map((r) => ({ tenantId: r.tenant_id, customerId: r.customer_id, key: r.dedup_key, meter: r.meter }));
    }
    await tx.query('CLOSE ledger_keys');
  }
}
