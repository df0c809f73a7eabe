import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { READ_DATA_SOURCE } from '../read-database';
import { decodeCursor, type Page, toPage } from '../shared/pagination';

export type CohortName = 'expansion_ready' | 'silent_churn';

export interface CohortReason {
  code: string;
  detail: string;
  evidence: Record<string, unknown>;
}

/** One account in a cohort now: `since` is when it entered (ISO-8601), `reasons` why, with evidence. */
export interface CohortMember {
  customerId: string;
  since: string;
  score: number;
  reasons: CohortReason[];
}

/** A membership, current (exitedAt null) or past. */
export interface CohortMembership {
  customerId: string;
  enteredAt: string;
  exitedAt: string | null;
  score: number;
  reasons: CohortReason[];
}

/** Reads the cohorts schema's memberships (written by the cohorts app); never writes. */
@Injectable()
export class CohortsQueryService {
  /** Once the table is there it stays; until then every request checks, rather than fail a query. */
  private tableExists = false;

  constructor(@Inject(READ_DATA_SOURCE) private readonly dataSource: DataSource) {}

  private async requireTable(): Promise<void> {
    if (this.tableExists) return;
    const [found] = (await this.dataSource.query(`SELECT to_regclass('cohorts.memberships') IS NOT NULL AS exists`)) as Array<{ exists: boolean }>;
    if (!found?.exists) throw new ServiceUnavailableException('the cohorts read model does not exist yet: start the cohorts app, or run `npm run migrate`');
    this.tableExists = true;
  }

  /** Every membership of a cohort, current and past, newest entry first (optionally one customer's). */
  async history(tenantId: string, cohort: CohortName, customerId: string | undefined, cursor: string | undefined, limit: number): Promise<Page<CohortMembership>> {
    await this.requireTable();
    const after = decodeCursor(cursor, 2) as [string, string] | null;
    const rows: Array<{ customer_id: string; entered_at: Date; exited_at: Date | null; score: number; reasons: CohortReason[] }> = await this.dataSource.query(
      `SELECT customer_id, entered_at, exited_at, score, reasons
         FROM cohorts.memberships
        WHERE tenant_id = $1 AND cohort = $2 AND ($3::text IS NULL OR customer_id = $3)
          AND ($4::timestamptz IS NULL OR (entered_at, customer_id) < ($4::timestamptz, $5::text))
        ORDER BY entered_at DESC, customer_id DESC
        LIMIT $6`,
      [tenantId, cohort, customerId ?? null, after?.[0] ?? null, after?.[1] ?? null, limit + 1],
    );
    return toPage(
      rows,
      limit,
      (r) => ({ customerId: r.customer_id, enteredAt: r.entered_at.toISOString(), exitedAt: r.exited_at ? r.exited_at.toISOString() : null, score: r.score, reasons: r.reasons }),
      (r) => [r.entered_at.toISOString(), r.customer_id],
    );
  }

  /**
   * The tenant's current members of a cohort: strongest score first, then by customer id. Pages of
   * `limit` (cursor-paginated) when a limit is given; every member otherwise (CSV exports).
   */
  async currentMembers(tenantId: string, cohort: CohortName, page?: { cursor: string | undefined; limit: number }): Promise<Page<CohortMember>> {
    await this.requireTable();
    const after = decodeCursor(page?.cursor, 2) as [number, string] | null;
    const rows: Array<{ customer_id: string; entered_at: Date; score: number; reasons: CohortReason[] }> = await this.dataSource.query(
      `SELECT customer_id, entered_at, score, reasons
         FROM cohorts.memberships
        WHERE tenant_id = $1 AND cohort = $2 AND exited_at IS NULL
          AND ($3::int IS NULL OR score < $3::int OR (score = $3::int AND customer_id > $4::text))
        ORDER BY score DESC, customer_id
        LIMIT $5`,
      [tenantId, cohort, after?.[0] ?? null, after?.[1] ?? null, page ? page.limit + 1 : null],
    );
    const map = (r: (typeof rows)[number]): CohortMember => ({ customerId: r.customer_id, since: r.entered_at.toISOString(), score: r.score, reasons: r.reasons });
    if (!page) return { items: rows.map(map), nextCursor: null };
    return toPage(rows, page.limit, map, (r) => [r.score, r.customer_id]);
  }
}
