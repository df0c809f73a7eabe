import { BadRequestException, Controller, Get, Query, UseGuards, ValidationPipe } from '@nestjs/common';
import type { ValidationError } from 'class-validator';
import { ReadTokenGuard, TenantId } from '@revstream/tenancy';
import { UsageQueryDto } from './usage-query.dto';
import { UsageQueryService, type UsagePeriodView } from './usage-query.service';

/** The one problem to report per parameter: absent before malformed before too long. */
const PRIORITY = ['isNotEmpty', 'isString', 'maxLength', 'whitelistValidation'];
const firstProblem = (e: ValidationError): string => {
  const constraints = e.constraints ?? {};
  const name = Object.keys(constraints).sort((a, b) => (PRIORITY.indexOf(a) >>> 0) - (PRIORITY.indexOf(b) >>> 0))[0];
  return name ? constraints[name]! : `${e.property}: invalid`;
};

const queryPipe = new ValidationPipe({
  transform: true,
  whitelist: true,
  forbidNonWhitelisted: true,
  exceptionFactory: (errors: ValidationError[]) =>
    new BadRequestException(
      errors
        .map(firstProblem)
        .map((m) => (/ should not exist$/.test(m) ? `${m.replace(/^property (\S+) should not exist$/, '$1')}: is not a query parameter of GET /v1/usage (customerId, meter)` : m))
        .join('; '),
    ),
});

/**
 * Metered usage per billing period, rated. The read token decides the tenant: a customer of another
 * tenant is not visible, and looks exactly like a customer without usage (an empty list).
 */
@Controller('v1/usage')
@UseGuards(ReadTokenGuard)
export class UsageController {
  constructor(private readonly usage: UsageQueryService) {}

  @Get()
  async list(@TenantId() tenantId: string, @Query(queryPipe) query: UsageQueryDto): Promise<{ periods: UsagePeriodView[] }> {
    return { periods: await this.usage.periods(tenantId, query.customerId, query.meter) };
  }
}
