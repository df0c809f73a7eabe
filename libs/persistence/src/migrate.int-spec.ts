import { Client } from 'pg';
import { CORE_MIGRATIONS, CoreTables1763700000000, createSchemaDataSource, dropDatabase, runMigrations } from '@revstream/persistence';

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

  it('turns documents.state from jsonb into the JSON text, keeping every document, and back', async () => {
    const ds = createSchemaDataSource({ url, schema: 'docs_text', migrations: [CoreTables1763700000000] });
    await runMigrations(ds, url);
    await ds.query(`INSERT INTO docs_text.documents (projection, key, state) VALUES ('p', 'k1', '{"b": [1, 2], "a": "x"}'), ('p', 'k2', 'null')`);
    await ds.destroy();

    const upgraded = createSchemaDataSource({ url, schema: 'docs_text', migrations: [...CORE_MIGRATIONS] });
    const column = async (): Promise<{ type: string; compression: string | null }> =>
      ((await upgraded.query(
        `SELECT format_type(a.atttypid, a.atttypmod) AS type, nullif(a.attcompression, '') AS compression
           FROM pg_attribute a WHERE a.attrelid = 'docs_text.documents'::regclass AND a.attname = 'state'`,
      )) as Array<{ type: string; compression: string | null }>)[0]!;
    expect(await runMigrations(upgraded, url)).toEqual(['DocumentsStateText1763700005000']);
    // lz4 where the server was built with it (pg_attribute says 'l'), else the default (pglz).
    const lz4 = ((await upgraded.query(`SELECT 1 AS ok FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)`)) as unknown[]).length > 0;
    expect(await column()).toEqual({ type: 'text', compression: lz4 ? 'l' : null });
    // Text now: what the handler writes is stored as it is, key order and all.
    await upgraded.query(`INSERT INTO docs_text.documents (projection, key, state) VALUES ('p', 'k3', '{"z":1,"a":2}')`);
    expect(await upgraded.query(`SELECT key, state FROM docs_text.documents ORDER BY key`)).toEqual([
      { key: 'k1', state: '{"a": "x", "b": [1, 2]}' },
      { key: 'k2', state: 'null' },
      { key: 'k3', state: '{"z":1,"a":2}' },
    ]);

    await upgraded.undoLastMigration({ transaction: 'each' });
    expect(await column()).toEqual({ type: 'jsonb', compression: null });
    expect(await upgraded.query(`SELECT key, state::text AS state FROM docs_text.documents ORDER BY key`)).toEqual([
      { key: 'k1', state: '{"a": "x", "b": [1, 2]}' },
      { key: 'k2', state: 'null' },
      { key: 'k3', state: '{"a": 2, "z": 1}' },
    ]);
    await upgraded.destroy();
  });
});
