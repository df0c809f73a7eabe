import { textArray } from '@revstream/persistence';
import type { ProjectionTx } from '@revstream/projections';
import { type BillingSchedule, type CycleInterval, scheduleOf, type SubscriptionTerms } from '@revstream/rating';

interface SubscriptionRow {
  tenant_id: string;
  customer_id: string;
  subscription_key: string;
  started_at: Date | null;
  started_version: string | null;
  ended_at: Date | null;
  ended_version: string | null;
  interval: CycleInterval | null;
  interval_count: number | null;
  interval_version: string | null;
}

export const customerKey = (tenantId: string, customerId: string): string => `${tenantId}\u0000${customerId}`;

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** subscriptions: what metering knows of customers' subscriptions, which define their billing cycles. */
export class SubscriptionsRepository {
  constructor(private readonly tx: ProjectionTx) {}

  /** Each customer's subscriptions, by customer key. Customers without any are absent. */
  async termsOf(customers: Iterable<{ tenantId: string; customerId: string }>): Promise<Map<string, SubscriptionTerms[]>> {
    const unique = new Map<string, { tenantId: string; customerId: string }>();
    for (const c of customers) unique.set(customerKey(c.tenantId, c.customerId), c);
    if (unique.size === 0) return new Map();
    const list = [...unique.values()];
    const rows = await this.tx.query<SubscriptionRow>(
      `SELECT s.* FROM ${this.tx.schema}.subscriptions s
         JOIN unnest($1::text[], $2::text[]) AS k(tenant_id, customer_id) ON s.tenant_id = k.tenant_id AND s.customer_id = k.customer_id`,
      [textArray(list.map((c) => c.tenantId)), textArray(list.map((c) => c.customerId))],
    );
    return termsByCustomer(rows);
  }

  /** Every customer's billing schedule, by customer key (a rebuild's bulk phase keeps them in memory). */
  async allSchedules(): Promise<Map<string, BillingSchedule>> {
    return schedulesFrom(termsByCustomer(await this.tx.query<SubscriptionRow>(`SELECT * FROM ${this.tx.schema}.subscriptions`)));
  }

  /** Billing schedules of customers, by customer key; customers without subscriptions get none (calendar months). */
  async schedulesOf(customers: Iterable<{ tenantId: string; customerId: string }>): Promise<Map<string, BillingSchedule>> {
    return schedulesFrom(await this.termsOf(customers));
  }

  async save(rows: ReadonlyArray<{ tenantId: string; customerId: string; terms: SubscriptionTerms }>): Promise<void> {
    if (rows.length === 0) return;
    await this.tx.query(
      `INSERT INTO ${this.tx.schema}.subscriptions (tenant_id, customer_id, subscription_key, started_at, started_version, ended_at, ended_version, "interval", interval_count, interval_version)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::timestamptz[], $7::text[], $8::text[], $9::int[], $10::text[])
       ON CONFLICT (tenant_id, customer_id, subscription_key) DO UPDATE SET
         started_at = EXCLUDED.started_at, started_version = EXCLUDED.started_version, ended_at = EXCLUDED.ended_at, ended_version = EXCLUDED.ended_version,
         "interval" = EXCLUDED."interval", interval_count = EXCLUDED.interval_count, interval_version = EXCLUDED.interval_version`,
      [
        rows.map((r) => r.tenantId),
        rows.map((r) => r.customerId),
        rows.map((r) => r.terms.key),
        rows.map((r) => iso(r.terms.startedAt)),
        rows.map((r) => r.terms.startedVersion),
        rows.map((r) => iso(r.terms.endedAt)),
        rows.map((r) => r.terms.endedVersion),
        rows.map((r) => r.terms.interval),
        rows.map((r) => r.terms.intervalCount),
        rows.map((r) => r.terms.intervalVersion),
      ],
    );
  }
}

const schedulesFrom = (terms: ReadonlyMap<string, SubscriptionTerms[]>): Map<string, BillingSchedule> =>
  new Map([...terms].map(([key, list]) => [key, scheduleOf(list)]));

function termsByCustomer(rows: readonly SubscriptionRow[]): Map<string, SubscriptionTerms[]> {
  const out = new Map<string, SubscriptionTerms[]>();
  for (const r of rows) {
    const key = customerKey(r.tenant_id, r.customer_id);
    const terms: SubscriptionTerms = {
      key: r.subscription_key,
      startedAt: r.started_at?.getTime() ?? null,
      startedVersion: r.started_version,
      endedAt: r.ended_at?.getTime() ?? null,
      endedVersion: r.ended_version,
      interval: r.interval,
      intervalCount: r.interval_count,
      intervalVersion: r.interval_version,
    };
    const list = out.get(key);
    if (list) list.push(terms);
    else out.set(key, [terms]);
  }
  return out;
}
