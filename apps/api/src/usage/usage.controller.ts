import { BadRequestException, Controller, Get, Query, UseGuards, ValidationPipe } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { ValidationError } from 'class-validator';
import { ReadTokenGuard, TenantId } from '@revstream/tenancy';
import { type Page, parseLimit } from '../shared/pagination';
import { UsagePeriodsQueryDto, UsageQueryDto } from './usage-query.dto';
import { type CustomerUsagePeriodView, UsageQueryService, type UsagePeriodView } from './usage-query.service';

/** The one problem to report per parameter: absent before malformed before too long. */
const PRIORITY = ['isNotEmpty', 'isString', 'maxLength'];
const problemOf = (e: ValidationError): { path: string; message: string } => {
  const constraints = e.constraints ?? {};
  if (constraints.whitelistValidation) return { path: e.property, message: 'is not a query parameter of this endpoint' };
  const name = Object.keys(constraints).sort((a, b) => (PRIORITY.indexOf(a) >>> 0) - (PRIORITY.indexOf(b) >>> 0))[0];
  return { path: e.property, message: name ? constraints[name]! : 'is invalid' };
};

/** Query parameters are checked against the DTO; every problem is reported (RFC 9457 `errors`). */
const queryPipe = new ValidationPipe({
  transform: true,
  whitelist: true,
  forbidNonWhitelisted: true,
  exceptionFactory: (errors: ValidationError[]) => new BadRequestException({ errors: errors.map(problemOf) }),
});

const EXAMPLE: UsagePeriodView = {
  meter: 'api_calls',
  periodStart: '2026-05-01T00:00:00.000Z',
  periodEnd: '2026-06-01T00:00:00.000Z',
  value: 153,
  eventCount: 3,
  charge: { currency: 'USD', amount: 306 },
};

/**
 * Metered usage per billing period, rated (docs/metering.md). The read token decides the tenant: a
 * customer of another tenant is not visible, and looks exactly like a customer without usage.
 */
@ApiTags('usage')
@ApiBearerAuth()
@Controller('v1/usage')
@UseGuards(ReadTokenGuard)
export class UsageController {
  constructor(private readonly usage: UsageQueryService) {}

  @Get()
  @ApiOperation({ summary: "A customer's usage per meter and billing period: value, event count and charge (integer minor units; null without a price)" })
  @ApiOkResponse({ schema: { example: { periods: [EXAMPLE] } } })
  async list(@TenantId() tenantId: string, @Query(queryPipe) query: UsageQueryDto): Promise<{ periods: UsagePeriodView[] }> {
    return { periods: await this.usage.periods(tenantId, query.customerId, query.meter) };
  }

  @Get('periods')
  @ApiOperation({ summary: "Every customer's usage periods, most recent first (cursor-paginated)" })
  @ApiOkResponse({ schema: { example: { items: [{ customerId: 'cus_42', ...EXAMPLE }], nextCursor: null } } })
  periods(@TenantId() tenantId: string, @Query(queryPipe) query: UsagePeriodsQueryDto): Promise<Page<CustomerUsagePeriodView>> {
    const filter = { ...(query.customerId ? { customerId: query.customerId } : {}), ...(query.meter ? { meter: query.meter } : {}) };
    return this.usage.page(tenantId, filter, query.cursor, parseLimit(query.limit));
  }
}
