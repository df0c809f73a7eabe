import { BinaryCopyWriter, dropIndexes, int8Array, numericArray, textArray } from '@revstream/persistence';
import type { ProjectionTx } from '@revstream/projections';
import {
  EMPTY_AGGREGATE,
  type MeterKind,
  type Decimal,
  type MeterPolicy,
  mergePeriodUsage,
  parseDecimal,
  type PeriodUsage,
  ratePeriod,
  type UsageAggregate,
} from '@revstream/rating';
import { policyKey } from './meter-prices.repository';
import { customerKey } from './subscriptions.repository';
import { fromMs, toMs } from './sql-time';


/** What rating needs of a stored period (instants as epoch ms, numbers as text). */
interface RatingRow {
  tenant_id: string;
  customer_id: string;
  meter: string;
  period_start: string;
  period_end: string;
  kind: MeterKind;
  event_count: string;
  sum: string;
  max: string;
  latest: string;
  on_time_count: string;
  on_time_sum: string;
  on_time_max: string | null;
  on_time_latest: string | null;
}

const USAGE_COLUMNS =
  'tenant_id, customer_id, meter, period_start, period_end, kind, event_count, sum, max, latest, latest_at, latest_key, first_event_at, last_event_at, ' +
  'on_time_count, on_time_sum, on_time_max, on_time_latest, on_time_latest_at, on_time_latest_key';

const RATING_COLUMNS = (alias: string): string =>
  `${alias}.tenant_id, ${alias}.customer_id, ${alias}.meter, ${toMs(`${alias}.period_start`)} AS period_start, ${toMs(`${alias}.period_end`)} AS period_end, ` +
  `${alias}.kind, ${alias}.event_count, ${alias}.sum, ${alias}.max, ${alias}.latest, ${alias}.on_time_count, ${alias}.on_time_sum, ${alias}.on_time_max, ${alias}.on_time_latest`;

/** A stored period as rating sees it: counts and values (the timing fields are not needed to rate). */
const fromRow = (r: RatingRow): PeriodUsage => ({
  tenantId: r.tenant_id,
  customerId: r.customer_id,
  meter: r.meter,
  kind: r.kind,
  period: { start: Number(r.period_start), end: Number(r.period_end) },
  total: { ...EMPTY_AGGREGATE, count: Number(r.event_count), sum: parseDecimal(r.sum), max: parseDecimal(r.max), latest: parseDecimal(r.latest) },
  onTime: {
    ...EMPTY_AGGREGATE,
    count: Number(r.on_time_count),
    sum: parseDecimal(r.on_time_sum),
    max: r.on_time_max === null ? null : parseDecimal(r.on_time_max),
    latest: r.on_time_latest === null ? null : parseDecimal(r.on_time_latest),
  } satisfies UsageAggregate,
});

/** One total order of periods (tenant, customer, meter, period start), so concurrent transactions lock shared rows alike. */
const comparePeriods = (a: PeriodUsage, b: PeriodUsage): number =>
  a.tenantId !== b.tenantId
    ? a.tenantId < b.tenantId ? -1 : 1
    : a.customerId !== b.customerId
      ? a.customerId < b.customerId ? -1 : 1
      : a.meter !== b.meter
        ? a.meter < b.meter ? -1 : 1
        : a.period.start - b.period.start;

/** The periods in that order; rows Postgres returns from a merge usually are already, and are not copied then. */
const sortedByKey = (periods: readonly PeriodUsage[]): readonly PeriodUsage[] => {
  for (let i = 1; i < periods.length; i++) if (comparePeriods(periods[i - 1]!, periods[i]!) > 0) return [...periods].sort(comparePeriods);
  return periods;
};

/** A period's key and end as statement parameters: tenant, customer, meter, start and end (epoch ms). */
const keyArrays = (periods: readonly PeriodUsage[]): Buffer[] => [
  textArray(periods.map((p) => p.tenantId)),
  textArray(periods.map((p) => p.customerId)),
  textArray(periods.map((p) => p.meter)),
  int8Array(periods.map((p) => p.period.start)),
  int8Array(periods.map((p) => p.period.end)),
];

/** A later reading wins `latest`; ties go to the greater key. The same rule as @revstream/rating's fold. */
const LATER = (at: string, key: string, thanAt: string, thanKey: string): string =>
  `(EXCLUDED.${at}, EXCLUDED.${key} COLLATE "C") > (u.${thanAt}, u.${thanKey} COLLATE "C")`;

const CHARGE_COLUMNS = 'tenant_id, customer_id, meter, period_start, period_end, aggregation, value, currency, amount, price_source, price_ref';
const ADJUSTMENT_COLUMNS = 'tenant_id, customer_id, meter, period_start, period_end, late_events, invoiced_value, value, currency, invoiced_amount, amount, adjustment';

/** What a period's charges row holds beside its key, and its adjustments row when events came after it closed. */
interface RatedValues {
  readonly charge: {
    readonly aggregation: string;
    readonly value: Decimal;
    readonly currency: string | null;
    readonly amount: bigint | null;
    readonly source: string | null;
    readonly ref: string | null;
  };
  readonly adjustment: {
    readonly lateEvents: number;
    readonly invoicedValue: Decimal;
    readonly value: Decimal;
    readonly currency: string | null;
    readonly invoicedAmount: bigint | null;
    readonly amount: bigint | null;
    readonly adjustment: bigint | null;
  } | null;
}

/** A period rated under its meter's policy: the values `writeRatings` and `replaceAll` both write. */
function ratedValues(p: PeriodUsage, policy: MeterPolicy | undefined): RatedValues {
  const r = ratePeriod(p.kind, p.total, p.onTime, policy);
  const currency = r.charge?.currency ?? null;
  const amount = r.charge?.amount ?? null;
  return {
    charge: { aggregation: r.aggregation, value: r.value, currency, amount, source: r.charge ? policy!.source : null, ref: r.charge ? policy!.ref : null },
    adjustment:
      p.onTime.count < p.total.count
        ? {
            lateEvents: p.total.count - p.onTime.count,
            invoicedValue: r.onTimeValue,
            value: r.value,
            currency,
            invoicedAmount: r.onTimeCharge?.amount ?? null,
            amount,
            adjustment: r.charge && r.onTimeCharge ? r.charge.amount - r.onTimeCharge.amount : null,
          }
        : null,
  };
}

/** Binary COPY data for periods' usage, charges and adjustments rows (none: no period is late). */
interface RatedRows {
  readonly usage: Buffer;
  readonly charges: Buffer;
  readonly adjustments: Buffer | null;
}

/** The rows `merge` and `writeRatings` leave for periods that had none, as COPY data (columns: USAGE_COLUMNS, CHARGE_COLUMNS, ADJUSTMENT_COLUMNS), a period at a time. */
class RatedRowsWriter {
  private readonly usage: BinaryCopyWriter;
  private readonly charges: BinaryCopyWriter;
  private readonly adjustments = new BinaryCopyWriter();
  private late = 0;

  constructor(
    private readonly policies: ReadonlyMap<string, MeterPolicy>,
    periods: number,
  ) {
    this.usage = new BinaryCopyWriter(periods * 192);
    this.charges = new BinaryCopyWriter(periods * 128);
  }

  add(p: PeriodUsage): void {
    const t = p.total;
    const o = p.onTime;
    this.usage
      .row(20)
      .text(p.tenantId).text(p.customerId).text(p.meter).timestamptz(p.period.start).timestamptz(p.period.end).text(p.kind)
      .int8(t.count).numeric(t.sum).numeric(t.max).numeric(t.latest).timestamptz(t.latestAt).text(t.latestKey).timestamptz(t.firstAt).timestamptz(t.lastAt)
      .int8(o.count).numeric(o.sum).numeric(o.max).numeric(o.latest).timestamptz(o.latestAt).text(o.latestKey);
    const { charge: c, adjustment: a } = ratedValues(p, this.policies.get(policyKey(p.tenantId, p.meter)));
    this.charges
      .row(11)
      .text(p.tenantId).text(p.customerId).text(p.meter).timestamptz(p.period.start).timestamptz(p.period.end)
      .text(c.aggregation).numeric(c.value).text(c.currency).int8(c.amount).text(c.source).text(c.ref);
    if (a) {
      this.late++;
      this.adjustments
        .row(12)
        .text(p.tenantId).text(p.customerId).text(p.meter).timestamptz(p.period.start).timestamptz(p.period.end)
        .int8(a.lateEvents).numeric(a.invoicedValue).numeric(a.value).text(a.currency).int8(a.invoicedAmount).int8(a.amount).int8(a.adjustment);
    }
  }

  finish(): RatedRows {
    return { usage: this.usage.finish(), charges: this.charges.finish(), adjustments: this.late > 0 ? this.adjustments.finish() : null };
  }
}

/** A turn of the event loop: the connection's pending COPY moves on while the next part is encoded. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The usage, charges and adjustments tables. Period usage is merged into the stored row with the same
 * commutative rules as the in-memory fold (sum and count add, max and last take the greater, first
 * the lesser, latest the later reading), so batches can merge in any order, even concurrently.
 */
export class UsageRepository {
  constructor(private readonly tx: ProjectionTx) {}

  /** Merges folded period usage into the stored periods; returns the merged periods. */
  async merge(periods: readonly PeriodUsage[]): Promise<PeriodUsage[]> {
    if (periods.length === 0) return [];
    const sorted = sortedByKey(periods);
    const col = <T>(f: (p: PeriodUsage) => T): T[] => sorted.map(f);
    const rows = await this.tx.query<RatingRow>(
      `INSERT INTO ${this.tx.schema}.usage AS u (${USAGE_COLUMNS})
       SELECT tenant_id, customer_id, meter, ${fromMs('ps')}, ${fromMs('pe')}, kind, event_count, sum, max, latest, ${fromMs('la')}, latest_key,
              ${fromMs('fa')}, ${fromMs('lst')}, on_time_count, on_time_sum, on_time_max, on_time_latest, ${fromMs('ola')}, on_time_latest_key
         FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::bigint[], $8::numeric[], $9::numeric[], $10::numeric[],
                     $11::bigint[], $12::text[], $13::bigint[], $14::bigint[], $15::bigint[], $16::numeric[], $17::numeric[], $18::numeric[], $19::bigint[], $20::text[])
           AS i(tenant_id, customer_id, meter, ps, pe, kind, event_count, sum, max, latest, la, latest_key, fa, lst, on_time_count, on_time_sum, on_time_max,
                on_time_latest, ola, on_time_latest_key)
       ON CONFLICT (tenant_id, customer_id, meter, period_start) DO UPDATE SET
         kind = CASE WHEN u.kind = 'gauge' OR EXCLUDED.kind = 'gauge' THEN 'gauge' ELSE 'counter' END,
         event_count = u.event_count + EXCLUDED.event_count,
         sum = trim_scale(u.sum + EXCLUDED.sum),
         max = GREATEST(u.max, EXCLUDED.max),
         latest = CASE WHEN ${LATER('latest_at', 'latest_key', 'latest_at', 'latest_key')} THEN EXCLUDED.latest ELSE u.latest END,
         latest_key = CASE WHEN ${LATER('latest_at', 'latest_key', 'latest_at', 'latest_key')} THEN EXCLUDED.latest_key ELSE u.latest_key END,
         latest_at = GREATEST(u.latest_at, EXCLUDED.latest_at),
         first_event_at = LEAST(u.first_event_at, EXCLUDED.first_event_at),
         last_event_at = GREATEST(u.last_event_at, EXCLUDED.last_event_at),
         on_time_count = u.on_time_count + EXCLUDED.on_time_count,
         on_time_sum = trim_scale(u.on_time_sum + EXCLUDED.on_time_sum),
         on_time_max = GREATEST(u.on_time_max, EXCLUDED.on_time_max),
         on_time_latest = CASE WHEN u.on_time_latest_at IS NULL OR (EXCLUDED.on_time_latest_at IS NOT NULL AND ${LATER('on_time_latest_at', 'on_time_latest_key', 'on_time_latest_at', 'on_time_latest_key')})
                               THEN EXCLUDED.on_time_latest ELSE u.on_time_latest END,
         on_time_latest_key = CASE WHEN u.on_time_latest_at IS NULL OR (EXCLUDED.on_time_latest_at IS NOT NULL AND ${LATER('on_time_latest_at', 'on_time_latest_key', 'on_time_latest_at', 'on_time_latest_key')})
                               THEN EXCLUDED.on_time_latest_key ELSE u.on_time_latest_key END,
         on_time_latest_at = GREATEST(u.on_time_latest_at, EXCLUDED.on_time_latest_at)
       RETURNING ${RATING_COLUMNS('u')}`,
      [
        ...keyArrays(sorted),
        textArray(col((p) => p.kind)),
        int8Array(col((p) => p.total.count)),
        numericArray(col((p) => p.total.sum)),
        numericArray(col((p) => p.total.max)),
        numericArray(col((p) => p.total.latest)),
        int8Array(col((p) => p.total.latestAt)),
        textArray(col((p) => p.total.latestKey)),
        int8Array(col((p) => p.total.firstAt)),
        int8Array(col((p) => p.total.lastAt)),
        int8Array(col((p) => p.onTime.count)),
        numericArray(col((p) => p.onTime.sum)),
        numericArray(col((p) => p.onTime.max)),
        numericArray(col((p) => p.onTime.latest)),
        int8Array(col((p) => p.onTime.latestAt)),
        textArray(col((p) => p.onTime.latestKey)),
      ],
    );
    return rows.map(fromRow);
  }

  /** The meters these customers have periods of (every meter they have readings of). */
  async metersOf(customers: ReadonlyArray<{ tenantId: string; customerId: string }>): Promise<Array<{ tenantId: string; meter: string }>> {
    if (customers.length === 0) return [];
    return (
      await this.tx.query<{ tenant_id: string; meter: string }>(
        `SELECT DISTINCT u.tenant_id, u.meter FROM unnest($1::text[], $2::text[]) AS k(tenant_id, customer_id)
           JOIN ${this.tx.schema}.usage u ON u.tenant_id = k.tenant_id AND u.customer_id = k.customer_id`,
        [textArray(customers.map((c) => c.tenantId)), textArray(customers.map((c) => c.customerId))],
      )
    ).map((r) => ({ tenantId: r.tenant_id, meter: r.meter }));
  }

  /** Removes every period of these customers (before they are recomputed from the ledger). */
  async deleteCustomers(customers: ReadonlyArray<{ tenantId: string; customerId: string }>): Promise<void> {
    if (customers.length === 0) return;
    for (const table of ['adjustments', 'charges', 'usage']) {
      await this.tx.query(
        `DELETE FROM ${this.tx.schema}.${table} t USING unnest($1::text[], $2::text[]) AS k(tenant_id, customer_id)
          WHERE t.tenant_id = k.tenant_id AND t.customer_id = k.customer_id`,
        [textArray(customers.map((c) => c.tenantId)), textArray(customers.map((c) => c.customerId))],
      );
    }
  }

  /**
   * Replaces every period, charge and adjustment with these periods, rated under their meters'
   * policies: the rows that `merge` and `writeRatings` would leave for them. A rebuild's bulk phase
   * ends so (BulkUsagePeriods). The tables are emptied, lose their indexes, are filled by binary COPY
   * and get their indexes back, each built once.
   */
  async replaceAll(periods: readonly PeriodUsage[], policies: ReadonlyMap<string, MeterPolicy>, rowsPerCopy = 10_000): Promise<void> {
    const tables = ['usage', 'charges', 'adjustments'].map((t) => `${this.tx.schema}.${t}`);
    await this.tx.query(`TRUNCATE ${tables.join(', ')}`);
    const restores: Array<() => Promise<void>> = [];
    for (const table of tables) restores.push(await dropIndexes(this.tx, table));
    // Each part is written while the next is encoded, with a turn of the event loop every thousand
    // periods so the connection keeps sending (the rows go in the order given: no other transaction
    // writes them, so none can wait for another).
    let writing: Promise<void> = Promise.resolve();
    for (let i = 0; i < periods.length; i += rowsPerCopy) {
      const end = Math.min(periods.length, i + rowsPerCopy);
      const rows = new RatedRowsWriter(policies, end - i);
      for (let j = i; j < end; j++) {
        rows.add(periods[j]!);
        if ((j + 1) % 1_000 === 0) await nextTurn();
      }
      await writing;
      writing = this.copyRated(rows.finish());
    }
    await writing;
    for (const restore of restores) await restore();
  }

  private async copyRated(rows: RatedRows): Promise<void> {
    await this.tx.copyFrom(`COPY ${this.tx.schema}.usage (${USAGE_COLUMNS}) FROM STDIN (FORMAT binary)`, rows.usage);
    await this.tx.copyFrom(`COPY ${this.tx.schema}.charges (${CHARGE_COLUMNS}) FROM STDIN (FORMAT binary)`, rows.charges);
    if (rows.adjustments) await this.tx.copyFrom(`COPY ${this.tx.schema}.adjustments (${ADJUSTMENT_COLUMNS}) FROM STDIN (FORMAT binary)`, rows.adjustments);
  }

  /** A meter's periods across customers, a page at a time (for re-rating after a price change). */
  async *periodsOfMeter(tenantId: string, meter: string, pageSize = 10_000): AsyncGenerator<PeriodUsage[]> {
    let after: [string, string] | null = null;
    for (;;) {
      const page: RatingRow[] = await this.tx.query<RatingRow>(
        `SELECT ${RATING_COLUMNS('u')} FROM ${this.tx.schema}.usage u WHERE u.tenant_id = $1 AND u.meter = $2
           ${after ? `AND (u.customer_id, u.period_start) > ($3, ${fromMs('$4::bigint')})` : ''}
         ORDER BY u.customer_id, u.period_start LIMIT ${pageSize}`,
        after ? [tenantId, meter, after[0], after[1]] : [tenantId, meter],
      );
      if (page.length === 0) return;
      yield page.map(fromRow);
      if (page.length < pageSize) return;
      const last = page[page.length - 1]!;
      after = [last.customer_id, last.period_start];
    }
  }

  /**
   * Rates merged periods under their meters' policies and writes the charge of each period, and an
   * adjustment for each period that received events after it closed.
   */
  async writeRatings(periods: readonly PeriodUsage[], policies: ReadonlyMap<string, MeterPolicy>): Promise<void> {
    if (periods.length === 0) return;
    const sorted = sortedByKey(periods);
    const rated = sorted.map((p) => ({ p, ...ratedValues(p, policies.get(policyKey(p.tenantId, p.meter))) }));
    await this.tx.query(
      `INSERT INTO ${this.tx.schema}.charges (tenant_id, customer_id, meter, period_start, period_end, aggregation, value, currency, amount, price_source, price_ref)
       SELECT t, c, m, ${fromMs('ps')}, ${fromMs('pe')}, a, v, cur, amt, src, ref
         FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::numeric[], $8::text[], $9::bigint[], $10::text[], $11::text[])
           AS i(t, c, m, ps, pe, a, v, cur, amt, src, ref)
       ON CONFLICT (tenant_id, customer_id, meter, period_start) DO UPDATE SET
         period_end = EXCLUDED.period_end, aggregation = EXCLUDED.aggregation, value = EXCLUDED.value, currency = EXCLUDED.currency,
         amount = EXCLUDED.amount, price_source = EXCLUDED.price_source, price_ref = EXCLUDED.price_ref`,
      [
        ...keyArrays(sorted),
        textArray(rated.map(({ charge }) => charge.aggregation)),
        numericArray(rated.map(({ charge }) => charge.value)),
        textArray(rated.map(({ charge }) => charge.currency)),
        int8Array(rated.map(({ charge }) => charge.amount)),
        textArray(rated.map(({ charge }) => charge.source)),
        textArray(rated.map(({ charge }) => charge.ref)),
      ],
    );
    const late = rated.flatMap(({ p, adjustment }) => (adjustment ? [{ p, a: adjustment }] : []));
    if (late.length === 0) return;
    await this.tx.query(
      `INSERT INTO ${this.tx.schema}.adjustments (tenant_id, customer_id, meter, period_start, period_end, late_events, invoiced_value, value, currency, invoiced_amount, amount, adjustment)
       SELECT t, c, m, ${fromMs('ps')}, ${fromMs('pe')}, n, iv, v, cur, ia, amt, adj
         FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::numeric[], $8::numeric[], $9::text[], $10::bigint[], $11::bigint[], $12::bigint[])
           AS i(t, c, m, ps, pe, n, iv, v, cur, ia, amt, adj)
       ON CONFLICT (tenant_id, customer_id, meter, period_start) DO UPDATE SET
         period_end = EXCLUDED.period_end, late_events = EXCLUDED.late_events, invoiced_value = EXCLUDED.invoiced_value, value = EXCLUDED.value,
         currency = EXCLUDED.currency, invoiced_amount = EXCLUDED.invoiced_amount, amount = EXCLUDED.amount, adjustment = EXCLUDED.adjustment`,
      [
        ...keyArrays(late.map(({ p }) => p)),
        int8Array(late.map(({ a }) => a.lateEvents)),
        numericArray(late.map(({ a }) => a.invoicedValue)),
        numericArray(late.map(({ a }) => a.value)),
        textArray(late.map(({ a }) => a.currency)),
        int8Array(late.map(({ a }) => a.invoicedAmount)),
        int8Array(late.map(({ a }) => a.amount)),
        int8Array(late.map(({ a }) => a.adjustment)),
      ],
    );
  }
}

/**
 * Metering's periods during a rebuild's bulk phase, in memory. Each transaction's folded periods are
 * merged in once it commits (ProjectionTx.onCommit), and `UsageRepository.replaceAll` writes them
 * all when the phase ends. Live processing merges a period into its row in every batch that touches
 * it (a busy customer's period, in most batches of a rebuild); this writes each row once. A customer
 * whose billing schedule changes meanwhile is marked stale: live processing recomputes such a
 * customer's periods from the ledger, and so does the end of the phase.
 */
export class BulkUsagePeriods {
  private readonly periods = new Map<string, PeriodUsage>();
  private readonly stale = new Map<string, { tenantId: string; customerId: string }>();

  /** A committed transaction's periods. */
  add(periods: Iterable<PeriodUsage>): void {
    for (const p of periods) mergePeriodUsage(this.periods, p);
  }

  /** This customer's periods are to be recomputed from the ledger at the end. */
  markStale(tenantId: string, customerId: string): void {
    this.stale.set(customerKey(tenantId, customerId), { tenantId, customerId });
  }

  /** The periods of every customer but the stale ones, and the stale customers. */
  settle(): { periods: PeriodUsage[]; stale: Array<{ tenantId: string; customerId: string }> } {
    if (this.stale.size === 0) return { periods: [...this.periods.values()], stale: [] };
    const periods: PeriodUsage[] = [];
    for (const p of this.periods.values()) if (!this.stale.has(customerKey(p.tenantId, p.customerId))) periods.push(p);
    return { periods, stale: [...this.stale.values()] };
  }
}
