import type { DataSource } from 'typeorm';
import { createSchemaDataSource } from '@revstream/persistence';
import { TenancyTables1763700000100 } from './migrations/1763700000100-tenancy-tables';

/** Tenants, tokens and products: configuration the gateway, the query API and the CLI share. Not a read model. */
export const TENANCY_SCHEMA = 'tenancy';
export const TENANCY_MIGRATIONS = [TenancyTables1763700000100];

export function createTenancyDataSource(url: string, poolSize = 4): DataSource {
  return createSchemaDataSource({ url, schema: TENANCY_SCHEMA, migrations: TENANCY_MIGRATIONS, poolSize, applicationName: 'revstream-tenancy' });
}
