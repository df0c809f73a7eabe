import { type DynamicModule, Module } from '@nestjs/common';
import { ProjectionAppModule } from '@revstream/projections';
import type { MeteringConfig } from './metering.config';
import { meteringApp } from './metering.app';

@Module({})
export class MeteringModule {
  static forRoot(config: MeteringConfig): DynamicModule {
    return { module: MeteringModule, imports: [ProjectionAppModule.forRoot({ ...meteringApp, config })] };
  }
}
