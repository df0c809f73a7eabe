import { runMigrations, sqlClient } from '@revstream/persistence';
import { createTenancyDataSource, TenancyRepository } from '@revstream/tenancy';
import type { BenchTenant } from '../ingest/workload';

/** `count` tenants, each with a metered Revnu product `prod_api`, written as the CLI writes them. */
export async function createBenchTenants(databaseUrl: string, count: number): Promise<BenchTenant[]> {
  const ds = createTenancyDataSource(databaseUrl, 2);
  try {
    await runMigrations(ds, databaseUrl);
    const repo = new TenancyRepository(sqlClient(ds));
    const tenants: BenchTenant[] = [];
    for (let i = 0; i < count; i++) {
      const t = await repo.createTenant(`bench ${i}`);
      await repo.upsertProduct({ tenantId: t.tenantId, productId: 'prod_api', model: 'metered', eventName: 'api_calls', currency: 'USD', unitAmount: 2, flatAmount: null });
      tenants.push({ tenantId: t.tenantId, ingest: t.tokens.ingest, secret: t.tokens.secret, public: t.tokens.public });
    }
    return tenants;
  } finally {
    await ds.destroy();
  }
}
