import type { Command } from 'commander';
import { CommonConfig, loadConfig } from '@revstream/config';
import { runMigrations, sqlClient } from '@revstream/persistence';
import { createTenancyDataSource, TenancyRepository } from '@revstream/tenancy';

/** Opens the tenancy schema (migrating it when needed), runs `work`, and closes it. */
export async function withTenancy<T>(databaseUrl: string, work: (repo: TenancyRepository) => Promise<T>): Promise<T> {
  const ds = createTenancyDataSource(databaseUrl, 2);
  try {
    await runMigrations(ds, databaseUrl);
    return await work(new TenancyRepository(sqlClient(ds)));
  } finally {
    if (ds.isInitialized) await ds.destroy();
  }
}

/**
 * `tenants create <name> [--json]`: a tenant and its four tokens, shown once (only their hashes are
 * stored). With --json, stdout carries exactly
 * `{"tenantId":"…","tokens":{"ingest":"…","public":"pub_…","secret":"sec_…","read":"…"}}`.
 */
export function registerTenants(program: Command): void {
  const tenants = program.command('tenants').description('tenants and their tokens');
  tenants
    .command('create <name>')
    .description('create a tenant with its ingest, public (pub_), secret (sec_) and read tokens; the tokens are shown only now')
    .option('--json', 'print only {"tenantId","tokens":{"ingest","public","secret","read"}} as JSON')
    .action(async (name: string, options: { json?: boolean }) => {
      const config = loadConfig(CommonConfig);
      const created = await withTenancy(config.DATABASE_URL, (repo) => repo.createTenant(name));
      const { ingest, public: pub, secret, read } = created.tokens;
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ tenantId: created.tenantId, tokens: { ingest, public: pub, secret, read } })}\n`);
        return;
      }
      process.stdout.write(
        [
          `tenant ${created.tenantId} (${name}) created. The tokens are shown once; store them now.`,
          `  ingest  ${ingest}   (Revenue Linter, Revnu, Valued, Revenium)`,
          `  public  ${pub}   (Pulsora pageview/event/identify)`,
          `  secret  ${secret}   (Pulsora, revenue too)`,
          `  read    ${read}   (query API)`,
          '',
        ].join('\n'),
      );
    });
}
