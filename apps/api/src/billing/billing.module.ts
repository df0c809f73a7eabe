import { Module } from '@nestjs/common';
import { BillingQueryService } from './billing-query.service';
import { CustomersController, MrrController } from './mrr.controller';

/** The query endpoints over the billing read models (schema `billing`, written by apps/billing). */
@Module({
  controllers: [MrrController, CustomersController],
  providers: [BillingQueryService],
})
export class BillingQueryModule {}
