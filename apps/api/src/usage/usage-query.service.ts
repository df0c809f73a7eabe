import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { READ_DATA_SOURCE } from '../read-database';

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

interface Row {
  meter: string;
  period_start: Date;
  period_end: Date;
  event_count: string;
  value: string;
  currency: string | null;
  amount: string | null;
}

/** Reads the metering read models (schema `metering`); never writes them. */
@Injectable()
export class UsageQueryService {
  constructor(@Inject(READ_DATA_SOURCE) private readonly db: DataSource) {}

  async periods(tenantId: string, customerId: string, meter: string | undefined): Promise<UsagePeriodView[]> {
    let rows: Row[];
    try {
      rows = await this.db.query(
        `SELECT u.meter, u.period_start, u.period_end, u.event_count::text AS event_count, c.value::text AS value, c.currency, c.amount::text AS amount
           FROM metering.usage u
           JOIN metering.charges c USING (tenant_id, customer_id, meter, period_start)
          WHERE u.tenant_id = $1 AND u.customer_id = $2 AND ($3::text IS NULL OR u.meter = $3)
          ORDER BY u.meter, u.period_start`,
        [tenantId, customerId, meter ?? null],
      );
    } catch (error) {
      if ((error as { code?: string }).code === '42P01' || (error as { driverError?: { code?: string } }).driverError?.code === '42P01') {
        throw new ServiceUnavailableException('the metering read model does not exist yet: run `npm run migrate` or start the metering app');
      }
      throw error;
    }
    return rows.map((r) => ({
      meter: r.meter,
      periodStart: r.period_start.toISOString(),
      periodEnd: r.period_end.toISOString(),
      value: Number(r.value),
      eventCount: Number(r.event_count),
      charge: r.currency !== null && r.amount !== null ? { currency: r.currency, amount: Number(r.amount) } : null,
    }));
  }
}
