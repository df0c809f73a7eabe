import { type DynamicModule, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { Logger } from '@revstream/observability';
import { runMigrations, sqlClient } from '@revstream/persistence';
import { TenantDirectory } from '../tenant-directory';
import { TenancyRepository } from '../tenancy.repository';
import { createTenancyDataSource } from '../tenancy.schema';

export const TENANCY_DATA_SOURCE = Symbol('TENANCY_DATA_SOURCE');

export interface TenancyModuleOptions {
  databaseUrl: string;
  logger?: Logger;
  refreshMs?: number;
}

@Injectable()
class TenancyLifecycle implements OnApplicationShutdown {
  constructor(
    private readonly directory: TenantDirectory,
    @Inject(TENANCY_DATA_SOURCE) private readonly dataSource: DataSource,
  ) {}
  async onApplicationShutdown(): Promise<void> {
    this.directory.stop();
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

/** The tenancy schema (migrated at boot), its repository, and the cached TenantDirectory. Global. */
@Module({})
export class TenancyModule {
  static forRoot(options: TenancyModuleOptions): DynamicModule {
    return {
      module: TenancyModule,
      global: true,
      providers: [
        {
          provide: TENANCY_DATA_SOURCE,
          useFactory: async () => {
            const ds = createTenancyDataSource(options.databaseUrl);
            await runMigrations(ds, options.databaseUrl);
            return ds;
          },
        },
        {
          provide: TenantDirectory,
          inject: [TENANCY_DATA_SOURCE],
          useFactory: async (ds: DataSource) => {
            const directory = new TenantDirectory(sqlClient(ds), {
              refreshMs: options.refreshMs ?? 1_000,
              missRefreshMs: 250,
              ...(options.logger ? { logger: options.logger } : {}),
            });
            await directory.start();
            return directory;
          },
        },
        { provide: TenancyRepository, inject: [TENANCY_DATA_SOURCE], useFactory: (ds: DataSource) => new TenancyRepository(sqlClient(ds)) },
        TenancyLifecycle,
      ],
      exports: [TENANCY_DATA_SOURCE, TenantDirectory, TenancyRepository],
    };
  }
}
