import { Controller, Get, Param, Query, UseGuards, ValidationPipe } from '@nestjs/common';
import { ReadTokenGuard, TenantId } from '@revstream/tenancy';
import { BillingQueryService, type CurrencyAmount, type CustomerMrrResponse, type MovementResponse } from './billing-query.service';
import { MovementsQueryDto, TenantMrrQueryDto } from './mrr-query.dto';

const queryPipe = new ValidationPipe({ transform: true, whitelist: true, forbidNonWhitelisted: true });

/** MRR read from the billing read models, for the tenant the read token grants. */
@Controller('v1')
@UseGuards(ReadTokenGuard)
export class MrrController {
  constructor(private readonly billing: BillingQueryService) {}

  @Get('customers/:customerId/mrr')
  customerMrr(@TenantId() tenantId: string, @Param('customerId') customerId: string): Promise<CustomerMrrResponse> {
    return this.billing.customerMrr(tenantId, customerId);
  }

  @Get('mrr')
  tenantMrr(@TenantId() tenantId: string, @Query(queryPipe) query: TenantMrrQueryDto): Promise<CurrencyAmount> {
    return this.billing.tenantMrr(tenantId, query.currency);
  }

  @Get('mrr/movements')
  movements(@TenantId() tenantId: string, @Query(queryPipe) query: MovementsQueryDto): Promise<{ movements: MovementResponse[] }> {
    return this.billing.movements(tenantId, query.currency, query.from, query.to);
  }
}
