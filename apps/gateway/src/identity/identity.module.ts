import { type DynamicModule, Module } from '@nestjs/common';
import { ProjectionAppModule } from '@revstream/projections';
import type { IdentityConfig } from './identity.config';
import { gatewayIdentityApp } from './identity.app';

/** The identity worker: the gateway's customer-identity projection, in a process of its own. */
@Module({})
export class IdentityModule {
  static forRoot(config: IdentityConfig): DynamicModule {
    return { module: IdentityModule, imports: [ProjectionAppModule.forRoot({ ...gatewayIdentityApp, config })] };
  }
}
