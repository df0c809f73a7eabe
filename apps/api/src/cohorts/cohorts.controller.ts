import { Controller, Get, Query, Res, UseGuards, ValidationPipe } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { stringify } from 'csv-stringify/sync';
import { ReadTokenGuard, TenantId } from '@revstream/tenancy';
import { parseLimit } from '../shared/pagination';
import { CohortHistoryQueryDto, CohortMembersQueryDto } from './cohorts-query.dto';
import { type CohortMember, type CohortMembership, type CohortName, CohortsQueryService } from './cohorts-query.service';

export const CSV_COLUMNS = ['customerId', 'since', 'score', 'reasons'] as const;

/** One row per member; reasons as `code: detail`, separated by "; ". */
export function membersCsv(members: readonly CohortMember[]): string {
  return stringify(
    members.map((m) => [m.customerId, m.since, m.score, m.reasons.map((r) => `${r.code}: ${r.detail}`).join('; ')]),
    { header: true, columns: [...CSV_COLUMNS] },
  );
}

export const HISTORY_CSV_COLUMNS = ['customerId', 'enteredAt', 'exitedAt', 'score', 'reasons'] as const;

export function historyCsv(rows: readonly CohortMembership[]): string {
  return stringify(
    rows.map((m) => [m.customerId, m.enteredAt, m.exitedAt ?? '', m.score, m.reasons.map((r) => `${r.code}: ${r.detail}`).join('; ')]),
    { header: true, columns: [...HISTORY_CSV_COLUMNS] },
  );
}

const queryPipe = new ValidationPipe({ transform: true, forbidUnknownValues: false });

/**
 * The advisory cohorts (docs/cohorts.md): the accounts in each now, for the tenant of the read token.
 * Exports only: nothing here writes anywhere.
 */
@ApiTags('cohorts')
@ApiBearerAuth()
@Controller('v1/cohorts')
@UseGuards(ReadTokenGuard)
export class CohortsController {
  constructor(private readonly cohorts: CohortsQueryService) {}

  @Get('expansion-ready')
  @ApiOperation({ summary: 'Accounts ready to expand now, with score and reasons (format=csv for CSV)' })
  @ApiQuery({ name: 'format', required: false, enum: ['json', 'csv'] })
  expansionReady(@TenantId() tenantId: string, @Query(queryPipe) query: CohortMembersQueryDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<unknown> {
    return this.members(tenantId, 'expansion_ready', query, reply);
  }

  @Get('silent-churn')
  @ApiOperation({ summary: 'Paying accounts with no recent product activity now (format=csv for CSV)' })
  @ApiQuery({ name: 'format', required: false, enum: ['json', 'csv'] })
  silentChurn(@TenantId() tenantId: string, @Query(queryPipe) query: CohortMembersQueryDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<unknown> {
    return this.members(tenantId, 'silent_churn', query, reply);
  }

  @Get('expansion-ready/history')
  @ApiOperation({ summary: 'Every expansion-ready membership, current and past, newest first (cursor-paginated; format=csv)' })
  expansionHistory(@TenantId() tenantId: string, @Query(queryPipe) query: CohortHistoryQueryDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<unknown> {
    return this.history(tenantId, 'expansion_ready', query, reply);
  }

  @Get('silent-churn/history')
  @ApiOperation({ summary: 'Every silent-churn membership, current and past, newest first (cursor-paginated; format=csv)' })
  silentHistory(@TenantId() tenantId: string, @Query(queryPipe) query: CohortHistoryQueryDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<unknown> {
    return this.history(tenantId, 'silent_churn', query, reply);
  }

  private async history(tenantId: string, cohort: CohortName, query: CohortHistoryQueryDto, reply: FastifyReply): Promise<unknown> {
    const page = await this.cohorts.history(tenantId, cohort, query.customerId, query.cursor, parseLimit(query.limit));
    if (query.format !== 'csv') return page;
    reply.header('content-type', 'text/csv; charset=utf-8');
    reply.header('content-disposition', `attachment; filename="${cohort.replace('_', '-')}-history.csv"`);
    if (page.nextCursor) reply.header('x-next-cursor', page.nextCursor);
    return historyCsv(page.items);
  }

  /** JSON pages of `limit` members (default 500) with `nextCursor`; CSV is the whole cohort. */
  private async members(tenantId: string, cohort: CohortName, query: CohortMembersQueryDto, reply: FastifyReply): Promise<unknown> {
    if (query.format !== 'csv') {
      const page = await this.cohorts.currentMembers(tenantId, cohort, { cursor: query.cursor, limit: query.limit === undefined ? 500 : parseLimit(query.limit) });
      return { members: page.items, nextCursor: page.nextCursor };
    }
    const all = await this.cohorts.currentMembers(tenantId, cohort);
    reply.header('content-type', 'text/csv; charset=utf-8');
    reply.header('content-disposition', `attachment; filename="${cohort.replace('_', '-')}.csv"`);
    return membersCsv(all.items);
  }
}
