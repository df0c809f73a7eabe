import { type DynamicModule, Module } from '@nestjs/common';
import { ProjectionAppModule } from '@revstream/projections';
import type { CohortsConfig } from './cohorts.config';
import { cohortsApp } from './cohorts.app';

@Module({})
export class CohortsModule {
  static forRoot(config: CohortsConfig): DynamicModule {
    return { module: CohortsModule, imports: [ProjectionAppModule.forRoot({ ...cohortsApp, config })] };
  }
}
