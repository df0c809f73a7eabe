import { type DynamicModule, Module } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { EventPublisher } from '@revstream/kafka';
import type { Logger } from '@revstream/observability';
import { quoteIdent, schemaOf } from '@revstream/persistence';
import { PROJECTION_DATA_SOURCE, PROJECTION_LOGGER, ProjectionAppModule } from '@revstream/projections';
import { ClockTicker } from './clock-ticker';
import type { CohortsConfig } from './cohorts.config';
import { cohortsApp } from './cohorts.app';
import { cohortsProjection } from './cohorts.projection';

/** The tenants the scorer holds a document for: the ones whose clock must move. Its own schema only. */
export const knownTenants = (dataSource: DataSource) => async (): Promise<string[]> => {
  const rows = (await dataSource.query(`SELECT key FROM ${quoteIdent(schemaOf(dataSource))}.documents WHERE projection = $1 ORDER BY key`, [
    cohortsProjection.name,
  ])) as Array<{ key: string }>;
  return rows.map((r) => r.key);
};

@Module({})
export class CohortsModule {
  static forRoot(config: CohortsConfig): DynamicModule {
    return {
      module: CohortsModule,
      imports: [ProjectionAppModule.forRoot({ ...cohortsApp, config })],
      providers: [
        {
          provide: ClockTicker,
          inject: [EventPublisher, PROJECTION_DATA_SOURCE, PROJECTION_LOGGER],
          useFactory: (publisher: EventPublisher, dataSource: DataSource, logger: Logger) =>
            new ClockTicker({ intervalMs: config.COHORTS_TICK_INTERVAL_MS, tenants: knownTenants(dataSource), publisher, logger }),
        },
      ],
    };
  }
}
