import { Controller, Get, Query, Res, UseGuards, ValidationPipe } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { stringify } from 'csv-stringify/sync';
import { ReadTokenGuard, TenantId } from '@revstream/tenancy';
import { CohortQueryDto } from './cohorts-query.dto';
import { type CohortMember, type CohortName, CohortsQueryService } from './cohorts-query.service';

export const CSV_COLUMNS = ['customerId', 'since', 'score', 'reasons'] as const;

/** One row per member; reasons as `code: detail`, separated by "; ". */
export function membersCsv(members: readonly CohortMember[]): string {
  return stringify(
    members.map((m) => [m.customerId, m.since, m.score, m.reasons.map((r) => `${r.code}: ${r.detail}`).join('; ')]),
    { header: true, columns: [...CSV_COLUMNS] },
  );
}

const queryPipe = new ValidationPipe({ transform: true, forbidUnknownValues: false });

/**
 * The advisory cohorts (docs/cohorts.md): the accounts in each now, for the tenant of the read token.
 * Exports only: nothing here writes anywhere.
 */
@Controller('v1/cohorts')
@UseGuards(ReadTokenGuard)
export class CohortsController {
  constructor(private readonly cohorts: CohortsQueryService) {}

  @Get('expansion-ready')
  expansionReady(@TenantId() tenantId: string, @Query(queryPipe) query: CohortQueryDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<unknown> {
    return this.members(tenantId, 'expansion_ready', query, reply);
  }

  @Get('silent-churn')
  silentChurn(@TenantId() tenantId: string, @Query(queryPipe) query: CohortQueryDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<unknown> {
    return this.members(tenantId, 'silent_churn', query, reply);
  }

  private async members(tenantId: string, cohort: CohortName, query: CohortQueryDto, reply: FastifyReply): Promise<unknown> {
    const members = await this.cohorts.currentMembers(tenantId, cohort);
    if (query.format !== 'csv') return { members };
    reply.header('content-type', 'text/csv; charset=utf-8');
    reply.header('content-disposition', `attachment; filename="${cohort.replace('_', '-')}.csv"`);
    return membersCsv(members);
  }
}
