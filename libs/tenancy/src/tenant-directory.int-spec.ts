import type { DataSource } from 'typeorm';
import { runMigrations, sqlClient } from '@revstream/persistence';
import { isolatedStack, type IsolatedStack } from '@revstream/testing';
import { createTenancyDataSource, hashEmail, hashToken, TenancyRepository, TenantDirectory } from '@revstream/tenancy';

describe('tenancy: tokens stored as hashes, a cached directory, revocation', () => {
  let stack: IsolatedStack;
  let ds: DataSource;
  let repo: TenancyRepository;
  let directory: TenantDirectory;

  beforeAll(async () => {
    stack = await isolatedStack('tenancy');
    ds = createTenancyDataSource(stack.databaseUrl);
    await runMigrations(ds, stack.databaseUrl);
    repo = new TenancyRepository(sqlClient(ds));
    directory = new TenantDirectory(sqlClient(ds), { refreshMs: 200, missRefreshMs: 50 });
    await directory.start();
  });
  afterAll(async () => {
    directory.stop();
    await ds.destroy();
    await stack.cleanup();
  });

  it('creates a tenant with four tokens, each granting its kind, known at once', async () => {
    const { tenantId, tokens } = await repo.createTenant('Acme');
    expect(tokens.public).toMatch(/^pub_[0-9A-Za-z]{40}$/);
    expect(tokens.secret).toMatch(/^sec_[0-9A-Za-z]{40}$/);
    expect(await directory.authenticate(tokens.ingest, ['ingest'])).toEqual({ tenantId, kind: 'ingest' });
    expect(await directory.authenticate(tokens.public, ['public', 'secret'])).toEqual({ tenantId, kind: 'public' });
    expect(await directory.authenticate(tokens.read, ['read'])).toEqual({ tenantId, kind: 'read' });
    expect(await directory.authenticate(tokens.read, ['ingest'])).toBeNull();
    expect(await directory.authenticate('rsi_not-a-token', ['ingest'])).toBeNull();
    expect(directory.tenant(tenantId)?.name).toBe('Acme');
  });

  it('stores only hashes: no plaintext token anywhere in the tenancy schema', async () => {
    const { tokens } = await repo.createTenant('Hashes Inc');
    const dump = JSON.stringify(await ds.query(`SELECT * FROM tenancy.tokens`)) + JSON.stringify(await ds.query(`SELECT * FROM tenancy.tenants`));
    for (const token of Object.values(tokens)) {
      expect(dump).not.toContain(token);
      expect(dump).toContain(hashToken(token));
    }
  });

  it('refuses a revoked token within one refresh interval, without any request touching the database', async () => {
    const { tokens } = await repo.createTenant('Revokes');
    expect(await directory.authenticate(tokens.ingest, ['ingest'])).not.toBeNull();
    expect(await repo.revokeToken(tokens.ingest)).toBe(true);
    expect(await repo.revokeToken(tokens.ingest)).toBe(false);
    await directory.refresh(); // what the 200 ms timer does
    expect(await directory.authenticate(tokens.ingest, ['ingest'])).toBeNull();
    expect(await directory.authenticate(tokens.secret, ['secret'])).not.toBeNull();
  });

  it('knows products as soon as they are registered', async () => {
    const { tenantId } = await repo.createTenant('Products');
    await repo.upsertProduct({ tenantId, productId: 'prod_api', model: 'metered', eventName: 'api_calls', currency: 'USD', unitAmount: 2, flatAmount: null });
    expect(await directory.product(tenantId, 'prod_api')).toEqual({
      tenantId, productId: 'prod_api', model: 'metered', eventName: 'api_calls', currency: 'USD', unitAmount: 2, flatAmount: null,
    });
    expect(await directory.product(tenantId, 'prod_missing')).toBeUndefined();
  });

  it('hashes emails with the tenant salt: stable per tenant, different across tenants, never the address', () => {
    const a = hashEmail('salt-a', ' Jane@Example.com ');
    expect(a).toBe(hashEmail('salt-a', 'jane@example.com'));
    expect(a).not.toBe(hashEmail('salt-b', 'jane@example.com'));
    expect(a).toMatch(/^emailhash:v1:[0-9a-f]{64}$/);
  });
});
