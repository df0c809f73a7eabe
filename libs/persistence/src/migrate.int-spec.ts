import { Client } from 'pg';
import { CoreTables1763700000000, createSchemaDataSource, dropDatabase, runMigrations } from '@revstream/persistence';

describe('persistence against the real Postgres', () => {
  const base = new URL(process.env.DATABASE_URL!);
  base.pathname = `/rs_test_migrate_${Date.now().toString(36)}`;
  const url = base.toString();

  afterAll(async () => {
    await dropDatabase(url);
  });

  const tables = async (schema: string): Promise<string[]> => {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ table_name: string }>(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
        [schema],
      );
      return rows.map((r) => r.table_name);
    } finally {
      await client.end();
    }
  };

  it('creates the missing database and schema, runs migrations once, and reverts them', async () => {
    const ds = createSchemaDataSource({ url, schema: 'billing_test', migrations: [CoreTables1763700000000] });
    expect(await runMigrations(ds, url)).toEqual(['CoreTables1763700000000']);
    expect(await tables('billing_test')).toEqual(['checkpoints', 'dead_letters', 'documents', 'migrations', 'processed_keys', 'projection_meta']);

    // Running again, concurrently, from two "processes": nothing left to run, no error.
    const other = createSchemaDataSource({ url, schema: 'billing_test', migrations: [CoreTables1763700000000] });
    const [again, concurrent] = await Promise.all([runMigrations(ds, url), runMigrations(other, url)]);
    expect([...again, ...concurrent]).toEqual([]);

    await ds.undoLastMigration({ transaction: 'each' });
    expect(await tables('billing_test')).toEqual(['migrations']);
    await ds.destroy();
    await other.destroy();
  });

  it('gives each schema its own copy of the core tables', async () => {
    const a = createSchemaDataSource({ url, schema: 'app_a', migrations: [CoreTables1763700000000] });
    const b = createSchemaDataSource({ url, schema: 'app_b', migrations: [CoreTables1763700000000] });
    await runMigrations(a, url);
    await runMigrations(b, url);
    expect(await tables('app_a')).toContain('checkpoints');
    expect(await tables('app_b')).toContain('checkpoints');
    await a.destroy();
    await b.destroy();
  });
});
