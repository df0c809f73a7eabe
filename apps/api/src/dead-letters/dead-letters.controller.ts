import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ReadTokenGuard, TenantId } from '@revstream/tenancy';
import { parseLimit, type Page } from '../shared/pagination';
import { type DeadLetterItem, DeadLettersQuery, type DeadLetterSummary } from './dead-letters.query';

@ApiTags('dead letters')
@ApiBearerAuth()
@UseGuards(ReadTokenGuard)
@Controller('v1/dead-letters')
export class DeadLettersController {
  constructor(private readonly query: DeadLettersQuery) {}

  @Get()
  @ApiOperation({ summary: 'Events that were accepted but could not be processed, counted by consumer and reason' })
  @ApiOkResponse({ schema: { example: { total: 2, byReason: [{ consumer: 'billing', reason: 'invalid_body', count: 2 }] } } })
  summary(@TenantId() tenantId: string): Promise<DeadLetterSummary> {
    return this.query.summary(tenantId);
  }

  @Get('events')
  @ApiOperation({ summary: 'The dead-lettered events themselves, with their reasons (cursor-paginated)' })
  @ApiQuery({ name: 'consumer', required: false })
  @ApiQuery({ name: 'reason', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiQuery({ name: 'limit', required: false, description: '1 to 500, default 50' })
  list(
    @TenantId() tenantId: string,
    @Query('consumer') consumer?: string,
    @Query('reason') reason?: string,
    @Query('cursor') cursor?: string,
    @Query('limit') limit?: string,
  ): Promise<Page<DeadLetterItem>> {
    return this.query.list(tenantId, { ...(consumer ? { consumer } : {}), ...(reason ? { reason } : {}) }, cursor, parseLimit(limit));
  }
}
