import { BadRequestException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { READ_DATA_SOURCE } from '../read-database';
import { decodeCursor, type Page, toPage } from '../shared/pagination';

export interface CurrencyAmount {
  currency: string;
  amount: number;
}

export interface CustomerMrrResponse {
  customerId: string;
  mrr: CurrencyAmount[];
}

export interface MovementResponse {
  type: 'new' | 'expansion' | 'contraction' | 'churn' | 'reactivation';
  customerId: string;
  currency: string;
  before: number;
  after: number;
  delta: number;
  occurredAt: string;
  eventId: string;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/** Postgres bigint comes back as a string; MRR in minor units is always a safe integer. */
const toAmount = (value: string | number): number => Number(value);

/** Reads the billing schema (written by the billing consumer). Every query is scoped to the caller's tenant. */
@Injectable()
export class BillingQueryService {
  constructor(@Inject(READ_DATA_SOURCE) private readonly db: DataSource) {}

  /** Before the billing consumer first migrated its schema there is nothing to read: an empty answer, not a 500. */
  private async read<T>(sql: string, params: unknown[]): Promise<T[]> {
    try {
      return (await this.db.query(sql, params)) as T[];
    } catch (error) {
      const code = (error as { code?: string; driverError?: { code?: string } }).driverError?.code ?? (error as { code?: string }).code;
      if (code === '42P01' || code === '3F000') return [];
      throw error;
    }
  }

  async customerMrr(tenantId: string, customerId: string): Promise<CustomerMrrResponse> {
    const rows = await this.read<{ known: boolean; currency: string | null; amount: string | null }>(
      `SELECT true AS known, m.currency, m.amount
         FROM billing.customers c LEFT JOIN billing.customer_mrr m ON m.tenant_id = c.tenant_id AND m.customer_id = c.customer_id
        WHERE c.tenant_id = $1 AND c.customer_id = $2
        ORDER BY m.currency`,
      [tenantId, customerId],
    );
    if (rows.length === 0) throw new NotFoundException(`no customer ${JSON.stringify(customerId)} in this tenant`);
    return { customerId, mrr: rows.filter((r) => r.currency !== null).map((r) => ({ currency: r.currency!, amount: toAmount(r.amount!) })) };
  }

  async tenantMrr(tenantId: string, currency: string): Promise<CurrencyAmount> {
    const code = currency.toUpperCase();
    const [row] = await this.read<{ amount: string }>(
      `SELECT coalesce(sum(amount), 0)::bigint AS amount FROM billing.customer_mrr WHERE tenant_id = $1 AND currency = $2`,
      [tenantId, code],
    );
    return { currency: code, amount: toAmount(row?.amount ?? 0) };
  }

  async movements(
    tenantId: string,
    currency: string,
    from?: string,
    to?: string,
    cursor?: string,
    limit = 1_000,
  ): Promise<{ movements: MovementResponse[]; nextCursor: string | null }> {
    if (!Number.isInteger(limit) || limit < 1 || limit > 5_000) throw new BadRequestException('limit: must be a whole number from 1 to 5000');
    const after = decodeCursor(cursor, 2) as [string, string] | null;
    const start = from === undefined ? null : Date.parse(DATE_ONLY.test(from) ? `${from}T00:00:00Z` : from);
    const end = to === undefined ? null : DATE_ONLY.test(to) ? Date.parse(`${to}T00:00:00Z`) + DAY_MS : Date.parse(to);
    if ((start !== null && Number.isNaN(start)) || (end !== null && Number.isNaN(end))) throw new BadRequestException('from and to must be valid dates');
    if (start !== null && end !== null && start >= end) throw new BadRequestException(`from (${from}) must be before to (${to})`);
    const rows = await this.read<{ type: MovementResponse['type']; customer_id: string; currency: string; before: string; after: string; delta: string; occurred_at: Date; event_id: string }>(
      `SELECT type, customer_id, currency, before, after, delta, occurred_at, event_id
         FROM billing.mrr_movements
        WHERE tenant_id = $1 AND currency = $2
          AND ($3::timestamptz IS NULL OR occurred_at >= $3::timestamptz)
          AND ($4::timestamptz IS NULL OR occurred_at < $4::timestamptz)
          AND ($5::timestamptz IS NULL OR (occurred_at, customer_id) > ($5::timestamptz, $6::text))
        ORDER BY occurred_at, customer_id
        LIMIT $7`,
      [
        tenantId,
        currency.toUpperCase(),
        start === null ? null : new Date(start).toISOString(),
        end === null ? null : new Date(end).toISOString(),
        after?.[0] ?? null,
        after?.[1] ?? null,
        limit + 1,
      ],
    );
    const page = toPage(
      rows,
      limit,
      (r) => r,
      (r) => [r.occurred_at.toISOString(), r.customer_id],
    );
    return {
      nextCursor: page.nextCursor,
      movements: page.items.map((r) => ({
        type: r.type,
        customerId: r.customer_id,
        currency: r.currency,
        before: toAmount(r.before),
        after: toAmount(r.after),
        delta: toAmount(r.delta),
        occurredAt: r.occurred_at.toISOString(),
        eventId: r.event_id,
      })),
    };
  }

  /** The currencies the tenant has MRR or movements in. */
  async currencies(tenantId: string): Promise<{ currencies: string[] }> {
    const rows = await this.read<{ currency: string }>(
      `SELECT currency FROM billing.customer_mrr WHERE tenant_id = $1
        UNION SELECT currency FROM billing.mrr_daily WHERE tenant_id = $1
        ORDER BY currency`,
      [tenantId],
    );
    return { currencies: rows.map((r) => r.currency) };
  }

  /**
   * MRR at the end of each day (or month), from the daily net movements: every day from `from` (or the
   * first movement) to `to` (or the last movement), gaps filled with the running value.
   */
  async series(tenantId: string, currency: string, interval: 'day' | 'month', from?: string, to?: string): Promise<MrrSeries> {
    const code = currency.toUpperCase();
    if (from !== undefined && to !== undefined && from > to) throw new BadRequestException(`from (${from}) must not be after to (${to})`);
    const rows = await this.read<{ date: string; amount: string }>(
      `WITH daily AS (SELECT "day", net_mrr FROM billing.mrr_daily WHERE tenant_id = $1 AND currency = $2),
            bounds AS (SELECT coalesce($3::date, min("day")) AS first, coalesce($4::date, max("day")) AS last FROM daily),
            days AS (SELECT generate_series(first, last, interval '1 day')::date AS "day" FROM bounds WHERE first IS NOT NULL AND last IS NOT NULL),
            running AS (
              SELECT d."day", (SELECT coalesce(sum(net_mrr), 0) FROM daily WHERE daily."day" <= d."day") AS mrr FROM days d
            )
       SELECT to_char("day", 'YYYY-MM-DD') AS date, mrr::bigint AS amount FROM running
        WHERE $5 = 'day' OR "day" = (date_trunc('month', "day") + interval '1 month - 1 day')::date OR "day" = (SELECT max("day") FROM running)
        ORDER BY "day"`,
      [tenantId, code, from ?? null, to ?? null, interval],
    );
    return {
      currency: code,
      interval,
      points: rows.map((r) => ({ date: interval === 'month' ? r.date.slice(0, 7) : r.date, amount: toAmount(r.amount) })),
    };
  }

  /** Movements per month and type: counts, and amounts (absolute, in minor units); net is signed. */
  async breakdown(tenantId: string, currency: string, from?: string, to?: string): Promise<MrrBreakdown> {
    const code = currency.toUpperCase();
    if (from !== undefined && to !== undefined && from > to) throw new BadRequestException(`from (${from}) must not be after to (${to})`);
    const rows = await this.read<{ month: string; type: MovementResponse['type']; count: number; amount: string; net: string }>(
      `SELECT to_char(date_trunc('month', occurred_at AT TIME ZONE 'UTC'), 'YYYY-MM') AS month, type,
              count(*)::int AS count, sum(abs(delta))::bigint AS amount, sum(delta)::bigint AS net
         FROM billing.mrr_movements
        WHERE tenant_id = $1 AND currency = $2
          AND ($3::text IS NULL OR occurred_at >= ($3 || '-01')::date::timestamp AT TIME ZONE 'UTC')
          AND ($4::text IS NULL OR occurred_at < ((($4 || '-01')::date + interval '1 month')::timestamp AT TIME ZONE 'UTC'))
        GROUP BY 1, 2 ORDER BY 1, 2`,
      [tenantId, code, from ?? null, to ?? null],
    );
    const months = new Map<string, MonthBreakdown>();
    for (const r of rows) {
      const m = months.get(r.month) ?? emptyMonth(r.month);
      m[r.type] = { count: r.count, amount: toAmount(r.amount) };
      m.net += toAmount(r.net);
      months.set(r.month, m);
    }
    return { currency: code, months: [...months.values()] };
  }

  async customers(tenantId: string, cursor: string | undefined, limit: number): Promise<Page<CustomerSummary>> {
    const after = decodeCursor(cursor, 1);
    const rows = await this.read<CustomerRow>(
      `SELECT c.customer_id, c.name, c.stripe_customer_id, c.first_event_at, c.last_event_at,
              coalesce(json_agg(json_build_object('currency', m.currency, 'amount', m.amount) ORDER BY m.currency) FILTER (WHERE m.currency IS NOT NULL), '[]') AS mrr
         FROM billing.customers c LEFT JOIN billing.customer_mrr m ON m.tenant_id = c.tenant_id AND m.customer_id = c.customer_id
        WHERE c.tenant_id = $1 AND ($2::text IS NULL OR c.customer_id > $2)
        GROUP BY c.customer_id, c.name, c.stripe_customer_id, c.first_event_at, c.last_event_at
        ORDER BY c.customer_id LIMIT $3`,
      [tenantId, after?.[0] ?? null, limit + 1],
    );
    return toPage(rows, limit, customerSummary, (r) => [r.customer_id]);
  }

  async customer(tenantId: string, customerId: string): Promise<CustomerState> {
    const [row] = await this.read<CustomerRow>(
      `SELECT c.customer_id, c.name, c.stripe_customer_id, c.first_event_at, c.last_event_at,
              coalesce((SELECT json_agg(json_build_object('currency', m.currency, 'amount', m.amount) ORDER BY m.currency)
                          FROM billing.customer_mrr m WHERE m.tenant_id = c.tenant_id AND m.customer_id = c.customer_id), '[]') AS mrr
         FROM billing.customers c WHERE c.tenant_id = $1 AND c.customer_id = $2`,
      [tenantId, customerId],
    );
    if (row === undefined) throw new NotFoundException(`no customer ${JSON.stringify(customerId)} in this tenant`);
    const subscriptions = await this.read<SubscriptionRow>(
      `SELECT s.subscription_key, s.status, s.currency, s.mrr, s.started_at, s.current_period_start, s.current_period_end, s.canceled_at,
              coalesce((SELECT json_agg(json_build_object('itemKey', i.item_key, 'quantity', i.quantity, 'planKey', i.plan_key, 'planName', i.plan_name,
                                 'priceKey', i.price_key, 'interval', i."interval", 'intervalCount', i.interval_count, 'mrr', i.mrr) ORDER BY i.item_key)
                          FROM billing.subscription_items i
                         WHERE i.tenant_id = s.tenant_id AND i.customer_id = s.customer_id AND i.subscription_key = s.subscription_key), '[]') AS items
         FROM billing.subscriptions s WHERE s.tenant_id = $1 AND s.customer_id = $2 ORDER BY s.subscription_key`,
      [tenantId, customerId],
    );
    const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);
    return {
      ...customerSummary(row),
      subscriptions: subscriptions.map((s) => ({
        subscriptionKey: s.subscription_key,
        status: s.status,
        currency: s.currency,
        mrr: toAmount(s.mrr),
        startedAt: iso(s.started_at),
        currentPeriodStart: iso(s.current_period_start),
        currentPeriodEnd: iso(s.current_period_end),
        canceledAt: iso(s.canceled_at),
        items: s.items.map((i) => ({ ...i, quantity: Number(i.quantity), mrr: Number(i.mrr) })),
      })),
    };
  }

  /** What happened to a customer, newest first: MRR movements and invoices (cursor-paginated). */
  async timeline(tenantId: string, customerId: string, cursor: string | undefined, limit: number): Promise<Page<TimelineEntry>> {
    await this.customer(tenantId, customerId);
    const after = decodeCursor(cursor, 3) as [string, string, string] | null;
    const rows = await this.read<TimelineRow>(
      `SELECT * FROM (
         SELECT occurred_at AS at, 'movement' AS kind, currency || ':' || to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS') AS key,
                json_build_object('type', type, 'currency', currency, 'before', before, 'after', after, 'delta', delta, 'eventId', event_id) AS detail
           FROM billing.mrr_movements WHERE tenant_id = $1 AND customer_id = $2
         UNION ALL
         SELECT coalesce(paid_at, finalized_at, snapshot_at), 'invoice', invoice_key,
                json_build_object('invoiceKey', invoice_key, 'status', status, 'currency', currency, 'total', total, 'subscriptionKey', subscription_key, 'eventId', event_id)
           FROM billing.invoices WHERE tenant_id = $1 AND customer_id = $2
       ) t
       WHERE $3::timestamptz IS NULL OR (at, kind, key) < ($3::timestamptz, $4::text, $5::text)
       ORDER BY at DESC, kind DESC, key DESC LIMIT $6`,
      [tenantId, customerId, after?.[0] ?? null, after?.[1] ?? null, after?.[2] ?? null, limit + 1],
    );
    return toPage(
      rows,
      limit,
      (r) => ({ at: r.at.toISOString(), kind: r.kind, ...r.detail }),
      (r) => [r.at.toISOString(), r.kind, r.key],
    );
  }
}

export interface MrrSeries {
  currency: string;
  interval: 'day' | 'month';
  points: Array<{ date: string; amount: number }>;
}

type MovementType = MovementResponse['type'];
export type MonthBreakdown = { month: string; net: number } & Record<MovementType, { count: number; amount: number }>;
export interface MrrBreakdown {
  currency: string;
  months: MonthBreakdown[];
}
const emptyMonth = (month: string): MonthBreakdown => ({
  month,
  new: { count: 0, amount: 0 },
  expansion: { count: 0, amount: 0 },
  contraction: { count: 0, amount: 0 },
  churn: { count: 0, amount: 0 },
  reactivation: { count: 0, amount: 0 },
  net: 0,
});

interface CustomerRow {
  customer_id: string;
  name: string | null;
  stripe_customer_id: string | null;
  first_event_at: Date;
  last_event_at: Date;
  mrr: Array<{ currency: string; amount: string | number }>;
}
export interface CustomerSummary {
  customerId: string;
  name: string | null;
  stripeCustomerId: string | null;
  firstEventAt: string;
  lastEventAt: string;
  mrr: CurrencyAmount[];
}
const customerSummary = (r: CustomerRow): CustomerSummary => ({
  customerId: r.customer_id,
  name: r.name,
  stripeCustomerId: r.stripe_customer_id,
  firstEventAt: r.first_event_at.toISOString(),
  lastEventAt: r.last_event_at.toISOString(),
  mrr: r.mrr.map((m) => ({ currency: m.currency, amount: toAmount(m.amount) })),
});

interface SubscriptionRow {
  subscription_key: string;
  status: string;
  currency: string;
  mrr: string;
  started_at: Date | null;
  current_period_start: Date | null;
  current_period_end: Date | null;
  canceled_at: Date | null;
  items: Array<Record<string, string | number | null>>;
}
export interface CustomerState extends CustomerSummary {
  subscriptions: Array<{
    subscriptionKey: string;
    status: string;
    currency: string;
    mrr: number;
    startedAt: string | null;
    currentPeriodStart: string | null;
    currentPeriodEnd: string | null;
    canceledAt: string | null;
    items: Array<Record<string, string | number | null>>;
  }>;
}

interface TimelineRow {
  at: Date;
  kind: 'movement' | 'invoice';
  key: string;
  detail: Record<string, string | number | null>;
}
export type TimelineEntry = { at: string; kind: 'movement' | 'invoice' } & Record<string, string | number | null>;
