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

/** Reads the cohorts schema's memberships (written by the cohorts app); never writes. */
@Injectable()
export class CohortsQueryService {
  /** Once the table is there it stays; until then every request checks, rather than fail a query. */
  private tableExists = false;

  constructor(@Inject(READ_DATA_SOURCE) private readonly dataSource: DataSource) {}

  /** The tenant's current members of a cohort: strongest score first, then by customer id. */
  async currentMembers(tenantId: string, cohort: CohortName): Promise<CohortMember[]> {
    if (!this.tableExists) {
      const [found] = (await this.dataSource.query(`SELECT to_regclass('cohorts.memberships') IS NOT NULL AS exists`)) as Array<{ exists: boolean }>;
      if (!found?.exists) throw new ServiceUnavailableException('the cohorts read model does not exist yet: start the cohorts app, or run `npm run migrate`');
      this.tableExists = true;
    }
    const rows: Array<{ customer_id: string; entered_at: Date; score: number; reasons: CohortReason[] }> = await this.dataSource.query(
      `SELECT customer_id, entered_at, score, reasons
         FROM cohorts.memberships
        WHERE tenant_id = $1 AND cohort = $2 AND exited_at IS NULL
        ORDER BY score DESC, customer_id`,
      [tenantId, cohort],
    );
    return rows.map((r) => ({ customerId: r.customer_id, since: r.entered_at.toISOString(), score: r.score, reasons: r.reasons }));
  }
}
