import { DataSource, type EntitySchema, type MixedList } from 'typeorm';

export interface SchemaDataSourceOptions {
  url: string;
  /** The Postgres schema this app owns; its entities and its migrations table live there. */
  schema: string;
  entities?: MixedList<Function | string | EntitySchema>;
  migrations?: MixedList<Function | string>;
  poolSize?: number;
  applicationName?: string;
}

/** A TypeORM DataSource for one app's schema. synchronize is always off: schema changes are migrations. */
export function createSchemaDataSource(options: SchemaDataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    schema: options.schema,
    entities: options.entities ?? [],
    migrations: options.migrations ?? [],
    migrationsTableName: 'migrations',
    migrationsRun: false,
    synchronize: false,
    logging: ['error'],
    applicationName: options.applicationName ?? `revstream-${options.schema}`,
    extra: { max: options.poolSize ?? 10, connectionTimeoutMillis: 10_000 },
    // int8 columns come back as strings from pg; entities convert where they need numbers.
  });
}

/** The schema a migration runs in: the DataSource's, so one migration class serves any schema. */
export const schemaOf = (dataSource: DataSource): string => {
  const schema = (dataSource.options as { schema?: string }).schema;
  if (!schema) throw new Error('DataSource has no schema');
  return schema;
};
