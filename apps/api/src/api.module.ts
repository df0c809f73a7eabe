import { type DynamicModule, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { createLogger, ObservabilityModule } from '@revstream/observability';
import { ensureDatabase, PostgresReadiness } from '@revstream/persistence';
import { TenancyModule } from '@revstream/tenancy';
import type { ApiConfig } from './api.config';
import { CohortsQueryModule } from './cohorts/cohorts.module';
import { DashboardController } from './dashboard/dashboard.controller';
import { DeadLettersModule } from './dead-letters/dead-letters.module';
import { openReadDataSource, READ_DATA_SOURCE } from './read-database';
import { BillingQueryModule } from './billing/billing.module';
import { UsageModule } from './usage/usage.module';

@Injectable()
class ReadDataSourceLifecycle implements OnApplicationShutdown {
  constructor(@Inject(READ_DATA_SOURCE) private readonly dataSource: DataSource) {}
  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

/** The query API: reads the read models, never writes them. */
@Module({})
export class ApiModule {
  static forRoot(config: ApiConfig): DynamicModule {
    const logger = createLogger('api', config.LOG_LEVEL);
    return {
      module: ApiModule,
      global: true,
      imports: [
        TenancyModule.forRoot({ databaseUrl: config.DATABASE_URL, logger }),
        ObservabilityModule.forRoot({ checks: [PostgresReadiness], logger }),
        DeadLettersModule,
        CohortsQueryModule,
        BillingQueryModule,
        UsageModule,
      ],
      controllers: [DashboardController],
      providers: [
        {
          provide: READ_DATA_SOURCE,
          useFactory: async () => {
            await ensureDatabase(config.DATABASE_URL);
            return openReadDataSource(config.DATABASE_URL);
          },
        },
        { provide: PostgresReadiness, inject: [READ_DATA_SOURCE], useFactory: (ds: DataSource) => new PostgresReadiness(ds) },
        ReadDataSourceLifecycle,
      ],
      exports: [READ_DATA_SOURCE, PostgresReadiness],
    };
  }
}
