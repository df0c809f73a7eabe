import { Client } from 'pg';
import { dropIndexes, type SqlClient } from '@revstream/persistence';

describe('dropping and rebuilding a table’s indexes (real Postgres)', () => {
  const client = new Client({ connectionString: process.env.DATABASE_URL! });
  const db: SqlClient = { query: async <T extends object>(sql: string, params?: readonly unknown[]) => (await client.query<T>(sql, params as unknown[])).rows };
  const schema = `rs_idx_${Date.now().toString(36)}`;
  const table = `"${schema}"."Odd table"`;
  const definitions = (): Promise<Array<{ indexdef: string }>> =>
    db.query<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname`, [schema]);
  const constraints = (): Promise<Array<{ conname: string; def: string }>> =>
    db.query<{ conname: string; def: string }>(`SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1::regclass ORDER BY conname`, [table]);

  beforeAll(async () => {
    await client.connect();
    await client.query(`CREATE SCHEMA "${schema}"`);
    await client.query(`
      CREATE TABLE ${table} (
        a text COLLATE "C" NOT NULL, b bigint NOT NULL, c text, n numeric CHECK (n > 0),
        PRIMARY KEY (a, b), CONSTRAINT "c is unique" UNIQUE (c)
      ) WITH (fillfactor = 70)`);
    await client.query(`CREATE INDEX "by b" ON ${table} (b DESC) WHERE c IS NOT NULL`);
  });

  afterAll(async () => {
    await client.query(`DROP SCHEMA "${schema}" CASCADE`);
    await client.end();
  });

  it('drops every index and key, and builds them back exactly as they were, over the rows written meanwhile', async () => {
    const indexesBefore = await definitions();
    const constraintsBefore = await constraints();
    expect(indexesBefore).toHaveLength(3);

    await client.query('BEGIN');
    const restore = await dropIndexes(db, table);
    expect(await definitions()).toEqual([]);
    // Only the check constraint stays: it has no index.
    expect((await constraints()).map((c) => c.def)).toEqual(['CHECK ((n > (0)::numeric))']);
    await client.query(`INSERT INTO ${table} (a, b, c, n) SELECT 'k' || i, i, 'c' || i, i FROM generate_series(1, 1000) i`);
    await restore();
    await client.query('COMMIT');

    expect(await definitions()).toEqual(indexesBefore);
    expect(await constraints()).toEqual(constraintsBefore);
    // The rebuilt key holds: a duplicate is refused.
    await expect(client.query(`INSERT INTO ${table} (a, b) VALUES ('k1', 1)`)).rejects.toThrow(/duplicate key value violates unique constraint "Odd table_pkey"/);
  });

  it('leaves the indexes in place when the transaction rolls back', async () => {
    const before = await definitions();
    await client.query('BEGIN');
    await dropIndexes(db, table);
    await client.query('ROLLBACK');
    expect(await definitions()).toEqual(before);
  });

  it('refuses to build back a key the rows written meanwhile break', async () => {
    await client.query('BEGIN');
    try {
      const restore = await dropIndexes(db, table);
      await client.query(`INSERT INTO ${table} (a, b) VALUES ('k2', 2)`);
      await expect(restore()).rejects.toThrow(/could not create unique index/);
    } finally {
      await client.query('ROLLBACK');
    }
  });
});
