import type { Command } from 'commander';
import { CommonConfig, loadConfig } from '@revstream/config';
import { createSchemaDataSource, redactUrl, runMigrations } from '@revstream/persistence';
import { TENANCY_MIGRATIONS, TENANCY_SCHEMA } from '@revstream/tenancy';
import { PROJECTION_APPS } from '../projection-apps';

/** Schemas that are not projections: tenancy (tenants, tokens, products). */
const CONFIG_SCHEMAS: Array<{ schema: string; migrations: Function[] }> = [{ schema: TENANCY_SCHEMA, migrations: TENANCY_MIGRATIONS }];

/** Creates the database when missing and runs every schema's pending migrations. */
export async function migrateAll(url: string, log: (line: string) => void): Promise<void> {
  const targets = [...CONFIG_SCHEMAS, ...PROJECTION_APPS.map((a) => ({ schema: a.schema, migrations: a.migrations as Function[] }))];
  for (const target of targets) {
    const ds = createSchemaDataSource({ url, schema: target.schema, migrations: target.migrations });
    try {
      const ran = await runMigrations(ds, url);
      log(`${target.schema}: ${ran.length === 0 ? 'up to date' : `applied ${ran.join(', ')}`}`);
    } finally {
      if (ds.isInitialized) await ds.destroy();
    }
  }
  log(`database ${redactUrl(url)} is migrated`);
}

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('create the database when missing and run every pending migration of every schema')
    .action(async () => {
      const config = loadConfig(CommonConfig);
      await migrateAll(config.DATABASE_URL, (line) => process.stdout.write(`${line}\n`));
    });
}
