import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { sqlClient, type SqlClient } from '@revstream/persistence';
import { READ_DATA_SOURCE } from '../read-database';
import { decodeCursor, type Page, toPage } from '../shared/pagination';

/** One billing period of one meter, as `GET /v1/usage` returns it. The shape may grow, never change. */
export interface UsagePeriodView {
  meter: string;
  periodStart: string;
  periodEnd: string;
  /** The period's value under the meter's aggregation (sum, count, max or latest). */
  value: number;
  eventCount: number;
  /** Integer minor units; null when the meter has no price. */
  charge: { currency: string; amount: number } | null;
}

/** A period in the tenant-wide list (`GET /v1/usage/periods`): the same, with its customer. */
export interface CustomerUsagePeriodView extends UsagePeriodView {
  customerId: string;
}

interface Row {
  customer_id: string;
  meter: string;
  period_start: Date;
  period_end: Date;
  event_count: string;
  value: string;
  currency: string | null;
  amount: string | null;
}

const COLUMNS = `u.customer_id, u.meter, u.period_start, u.period_end, u.event_count::text AS event_count, c.value::text AS value, c.currency, c.amount::text AS amount
  FROM metering.usage u JOIN metering.charges c USING (tenant_id, customer_id, meter, period_start)`;

const view = (r: Row): UsagePeriodView => ({
  meter: r.meter,
  periodStart: r.period_start.toISOString(),
  periodEnd: r.period_end.toISOString(),
  value: Number(r.value),
  eventCount: Number(r.event_count),
  charge: r.currency !== null && r.amount !== null ? { currency: r.currency, amount: Number(r.amount) } : null,
});

/** Reads the metering read models (schema `metering`); never writes them. */
@Injectable()
export class UsageQueryService {
  private readonly db: SqlClient;

  constructor(@Inject(READ_DATA_SOURCE) dataSource: DataSource) {
    this.db = sqlClient(dataSource);
  }

  private async rows(sql: string, params: unknown[]): Promise<Row[]> {
    try {
      return await this.db.query<Row>(sql, params);
    } catch (error) {
      const code = (error as { code?: string }).code ?? (error as { driverError?: { code?: string } }).driverError?.code;
      if (code === '42P01' || code === '3F000') {
        throw new ServiceUnavailableException('the metering read model does not exist yet: run `npm run migrate` or start the metering app');
      }
      throw error;
    }
  }

  /** A customer's periods, by meter and start. Another tenant's customer has none. */
  async periods(tenantId: string, customerId: string, meter: string | undefined): Promise<UsagePeriodView[]> {
    const rows = await this.rows(
      `SELECT ${COLUMNS} WHERE u.tenant_id = $1 AND u.customer_id = $2 AND ($3::text IS NULL OR u.meter = $3) ORDER BY u.meter, u.period_start`,
      [tenantId, customerId, meter ?? null],
    );
    return rows.map(view);
  }

  /** Every period of the tenant, most recent first (then customer and meter), a page at a time. */
  async page(tenantId: string, filter: { customerId?: string; meter?: string }, cursor: string | undefined, limit: number): Promise<Page<CustomerUsagePeriodView>> {
    const after = decodeCursor(cursor, 3);
    const rows = await this.rows(
      `SELECT ${COLUMNS}
        WHERE u.tenant_id = $1 AND ($2::text IS NULL OR u.customer_id = $2) AND ($3::text IS NULL OR u.meter = $3)
          AND ($4::text IS NULL OR (u.period_start < $4::timestamptz OR (u.period_start = $4::timestamptz AND (u.customer_id, u.meter) > ($5, $6))))
        ORDER BY u.period_start DESC, u.customer_id, u.meter LIMIT $7`,
      [tenantId, filter.customerId ?? null, filter.meter ?? null, after?.[0] ?? null, after?.[1] ?? null, after?.[2] ?? null, limit + 1],
    );
    return toPage(
      rows,
      limit,
      (r) => ({ customerId: r.customer_id, ...view(r) }),
      (r) => [r.period_start.toISOString(), r.customer_id, r.meter],
    );
  }
}
