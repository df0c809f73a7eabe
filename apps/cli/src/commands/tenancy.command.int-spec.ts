import { decodeEnvelope } from '@revstream/events';
import { sqlClient } from '@revstream/persistence';
import { createTenancyDataSource, TenantDirectory } from '@revstream/tenancy';
import { isolatedStack, type IsolatedStack, readTopic } from '@revstream/testing';
import { buildCli } from '../main';

/** Runs the CLI in-process against the stack, returning what it printed on stdout. */
async function cli(stack: IsolatedStack, args: string[]): Promise<{ stdout: string; exitCode: number }> {
  const saved = { ...process.env };
  Object.assign(process.env, stack.env);
  const chunks: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  const errors = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  process.exitCode = undefined;
  try {
    await buildCli().exitOverride().parseAsync(['node', 'revstream', ...args]);
    return { stdout: chunks.join(''), exitCode: Number(process.exitCode ?? 0) };
  } finally {
    write.mockRestore();
    errors.mockRestore();
    process.exitCode = undefined;
    process.env = saved;
  }
}

describe('operator CLI: tenants, tokens, products (real Postgres + Kafka)', () => {
  let stack: IsolatedStack;

  beforeAll(async () => {
    stack = await isolatedStack('cli');
  });
  afterAll(async () => stack.cleanup());

  it('tenants create --json prints exactly {"tenantId","tokens":{"ingest","public","secret","read"}}; tokens revoke revokes', async () => {
    const { stdout } = await cli(stack, ['tenants', 'create', 'Acme Inc', '--json']);
    expect(stdout.endsWith('\n')).toBe(true);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    const created = JSON.parse(stdout) as { tenantId: string; tokens: Record<string, string> };
    expect(Object.keys(created)).toEqual(['tenantId', 'tokens']);
    expect(Object.keys(created.tokens)).toEqual(['ingest', 'public', 'secret', 'read']);
    expect(created.tokens.public).toMatch(/^pub_/);
    expect(created.tokens.secret).toMatch(/^sec_/);

    const ds = createTenancyDataSource(stack.databaseUrl);
    await ds.initialize();
    try {
      const directory = new TenantDirectory(sqlClient(ds));
      await directory.refresh();
      expect(await directory.authenticate(created.tokens.ingest, ['ingest'])).toEqual({ tenantId: created.tenantId, kind: 'ingest' });
      expect((await cli(stack, ['tokens', 'revoke', created.tokens.ingest])).exitCode).toBe(0);
      expect((await cli(stack, ['tokens', 'revoke', created.tokens.ingest])).exitCode).toBe(1);
      await directory.refresh();
      expect(await directory.authenticate(created.tokens.ingest, ['ingest'])).toBeNull();
    } finally {
      await ds.destroy();
    }
  });

  it('products create writes tenancy.products and publishes catalog.product_registered', async () => {
    const { tenantId } = JSON.parse((await cli(stack, ['tenants', 'create', 'Seller', '--json'])).stdout) as { tenantId: string };
    const { stdout } = await cli(stack, ['products', 'create', '--tenant', tenantId, '--product', 'prod_api', '--model', 'hybrid', '--event', 'api_calls', '--unit-amount', '2', '--flat-amount', '2900', '--json']);
    const product = { productId: 'prod_api', model: 'hybrid', eventName: 'api_calls', currency: 'USD', unitAmount: 2, flatAmount: 2900 };
    expect(JSON.parse(stdout)).toEqual({ tenantId, ...product });

    const ds = createTenancyDataSource(stack.databaseUrl);
    await ds.initialize();
    try {
      const directory = new TenantDirectory(sqlClient(ds));
      await directory.refresh();
      expect(await directory.product(tenantId, 'prod_api')).toEqual({ tenantId, ...product });
    } finally {
      await ds.destroy();
    }
    const [record] = await readTopic(stack.kafka, stack.topics.name('catalog'), 1);
    const event = decodeEnvelope(record!.value);
    expect(event.type).toBe('catalog.product_registered');
    expect(event.data).toEqual(product);
    expect(event.metadata).toMatchObject({ tenantId, source: 'catalog', producer: 'cli' });
  });

  it('refuses a product without the prices its model needs', async () => {
    const { tenantId } = JSON.parse((await cli(stack, ['tenants', 'create', 'Seller 2', '--json'])).stdout) as { tenantId: string };
    await expect(cli(stack, ['products', 'create', '--tenant', tenantId, '--product', 'p', '--model', 'metered', '--event', 'e'])).rejects.toThrow(/needs --unit-amount/);
  });
});
