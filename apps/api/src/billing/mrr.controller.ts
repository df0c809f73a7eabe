import { Controller, Get, Param, Query, UseGuards, ValidationPipe } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ReadTokenGuard, TenantId } from '@revstream/tenancy';
import { parseLimit, type Page } from '../shared/pagination';
import {
  BillingQueryService,
  type CurrencyAmount,
  type CustomerMrrResponse,
  type CustomerState,
  type CustomerSummary,
  type MovementResponse,
  type MrrBreakdown,
  type MrrSeries,
  type TimelineEntry,
} from './billing-query.service';
import { MovementsQueryDto, MrrBreakdownQueryDto, MrrSeriesQueryDto, PageQueryDto, TenantMrrQueryDto } from './mrr-query.dto';

const queryPipe = new ValidationPipe({ transform: true, whitelist: true, forbidNonWhitelisted: true });

/** MRR read from the billing read models, for the tenant the read token grants. */
@ApiTags('MRR')
@ApiBearerAuth()
@Controller('v1')
@UseGuards(ReadTokenGuard)
export class MrrController {
  constructor(private readonly billing: BillingQueryService) {}

  @Get('customers/:customerId/mrr')
  @ApiOperation({ summary: "A customer's MRR now, per currency" })
  customerMrr(@TenantId() tenantId: string, @Param('customerId') customerId: string): Promise<CustomerMrrResponse> {
    return this.billing.customerMrr(tenantId, customerId);
  }

  @Get('mrr')
  @ApiOperation({ summary: "The tenant's MRR now, in one currency (currencies are never added together)" })
  tenantMrr(@TenantId() tenantId: string, @Query(queryPipe) query: TenantMrrQueryDto): Promise<CurrencyAmount> {
    return this.billing.tenantMrr(tenantId, query.currency);
  }

  @Get('mrr/currencies')
  @ApiOperation({ summary: 'The currencies the tenant has MRR or movements in' })
  currencies(@TenantId() tenantId: string): Promise<{ currencies: string[] }> {
    return this.billing.currencies(tenantId);
  }

  @Get('mrr/series')
  @ApiOperation({ summary: 'MRR at the end of each day or month' })
  series(@TenantId() tenantId: string, @Query(queryPipe) query: MrrSeriesQueryDto): Promise<MrrSeries> {
    return this.billing.series(tenantId, query.currency, query.interval ?? 'day', query.from, query.to);
  }

  @Get('mrr/breakdown')
  @ApiOperation({ summary: 'Movements per month: new, expansion, contraction, churn and reactivation, as counts and amounts' })
  breakdown(@TenantId() tenantId: string, @Query(queryPipe) query: MrrBreakdownQueryDto): Promise<MrrBreakdown> {
    return this.billing.breakdown(tenantId, query.currency, query.from, query.to);
  }

  @Get('mrr/movements')
  @ApiOperation({ summary: 'MRR movements in time order (cursor-paginated: limit, cursor, nextCursor)' })
  movements(@TenantId() tenantId: string, @Query(queryPipe) query: MovementsQueryDto): Promise<{ movements: MovementResponse[]; nextCursor: string | null }> {
    return this.billing.movements(tenantId, query.currency, query.from, query.to, query.cursor, query.limit === undefined ? undefined : Number(query.limit));
  }
}

/** Customers and their state, from the billing read models. */
@ApiTags('customers')
@ApiBearerAuth()
@Controller('v1/customers')
@UseGuards(ReadTokenGuard)
export class CustomersController {
  constructor(private readonly billing: BillingQueryService) {}

  @Get()
  @ApiOperation({ summary: 'Customers, with their MRR per currency (cursor-paginated)' })
  list(@TenantId() tenantId: string, @Query(queryPipe) query: PageQueryDto): Promise<Page<CustomerSummary>> {
    return this.billing.customers(tenantId, query.cursor, parseLimit(query.limit));
  }

  @Get(':customerId')
  @ApiOperation({ summary: "One customer's state: MRR, subscriptions and their items" })
  one(@TenantId() tenantId: string, @Param('customerId') customerId: string): Promise<CustomerState> {
    return this.billing.customer(tenantId, customerId);
  }

  @Get(':customerId/timeline')
  @ApiOperation({ summary: "One customer's MRR movements and invoices, newest first (cursor-paginated)" })
  timeline(@TenantId() tenantId: string, @Param('customerId') customerId: string, @Query(queryPipe) query: PageQueryDto): Promise<Page<TimelineEntry>> {
    return this.billing.timeline(tenantId, customerId, query.cursor, parseLimit(query.limit));
  }
}
