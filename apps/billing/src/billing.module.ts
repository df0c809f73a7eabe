import { type DynamicModule, Module } from '@nestjs/common';
import { ProjectionAppModule } from '@revstream/projections';
import type { BillingConfig } from './billing.config';
import { billingApp } from './billing.app';

@Module({})
export class BillingModule {
  static forRoot(config: BillingConfig): DynamicModule {
    return { module: BillingModule, imports: [ProjectionAppModule.forRoot({ ...billingApp, config })] };
  }
}
