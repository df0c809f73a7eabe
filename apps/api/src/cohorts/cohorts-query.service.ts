import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { READ_DATA_SOURCE } from '../read-database';

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

/** Postgres: the schema or table does not exist (the cohorts app has not migrated this database yet). */
const MISSING = new Set(['42P01', '3F000']);

/** Reads the cohorts schema's memberships (written by the cohorts app); never writes. */
@Injectable()
export class CohortsQueryService {
  constructor(@Inject(READ_DATA_SOURCE) private readonly dataSource: DataSource) {}

  /** The tenant's current members of a cohort: strongest score first, then by customer id. */
  async currentMembers(tenantId: string, cohort: CohortName): Promise<CohortMember[]> {
    let rows: Array<{ customer_id: string; entered_at: Date; score: number; reasons: CohortReason[] }>;
    try {
      rows = await this.dataSource.query(
        `SELECT customer_id, entered_at, score, reasons
           FROM cohorts.memberships
          WHERE tenant_id = $1 AND cohort = $2 AND exited_at IS NULL
          ORDER BY score DESC, customer_id`,
        [tenantId, cohort],
      );
    } catch (error) {
      const code = (error as { code?: string; driverError?: { code?: string } }).driverError?.code ?? (error as { code?: string }).code;
      if (code !== undefined && MISSING.has(code)) {
        throw new ServiceUnavailableException('the cohorts read model does not exist yet: start the cohorts app, or run `npm run migrate`');
      }
      throw error;
    }
    return rows.map((r) => ({ customerId: r.customer_id, since: r.entered_at.toISOString(), score: r.score, reasons: r.reasons }));
  }
}
