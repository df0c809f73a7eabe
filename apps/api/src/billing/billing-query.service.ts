import { BadRequestException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { READ_DATA_SOURCE } from '../read-database';

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

  async movements(tenantId: string, currency: string, from?: string, to?: string): Promise<{ movements: MovementResponse[] }> {
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
        ORDER BY occurred_at, customer_id`,
      [tenantId, currency.toUpperCase(), start === null ? null : new Date(start).toISOString(), end === null ? null : new Date(end).toISOString()],
    );
    return {
      movements: rows.map((r) => ({
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
}
