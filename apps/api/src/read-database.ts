import type { DataSource } from 'typeorm';
import { createSchemaDataSource } from '@revstream/persistence';

export const READ_DATA_SOURCE = Symbol('READ_DATA_SOURCE');

/**
 * The query API's connection. It only reads: every query names the schema of the app that owns the
 * read model (billing, metering, cohorts, tenancy), and the role could be read-only.
 */
export async function openReadDataSource(url: string): Promise<DataSource> {
  const ds = createSchemaDataSource({ url, schema: 'public', applicationName: 'revstream-api', poolSize: 10 });
  await ds.initialize();
  return ds;
}
