import { CORE_MIGRATIONS, createSchemaDataSource, dropDatabase, runMigrations, schemaChecksums } from '@revstream/persistence';

describe('table checksums (real Postgres)', () => {
  const base = new URL(process.env.DATABASE_URL!);
  base.pathname = `/rs_test_checksum_${Date.now().toString(36)}`;
  const url = base.toString();

  afterAll(async () => {
    await dropDatabase(url);
  });

  it('compare documents as JSON values (any key order or formatting), and every other table byte for byte', async () => {
    const a = createSchemaDataSource({ url, schema: 'sum_a', migrations: [...CORE_MIGRATIONS] });
    const b = createSchemaDataSource({ url, schema: 'sum_b', migrations: [...CORE_MIGRATIONS] });
    await runMigrations(a, url);
    await runMigrations(b, url);
    try {
      await a.query(`INSERT INTO sum_a.documents (projection, key, state) VALUES ('p', 'k', '{"b":[1,{"y":2,"x":1}],"a":"s"}')`);
      await b.query(`INSERT INTO sum_b.documents (projection, key, state) VALUES ('p', 'k', '{"a": "s", "b": [1, {"x": 1, "y": 2}]}')`);
      await a.query(`INSERT INTO sum_a.processed_keys (key) VALUES ('k1')`);
      await b.query(`INSERT INTO sum_b.processed_keys (key) VALUES ('k1')`);
      const [docsA, keysA] = await schemaChecksums(a, 'sum_a', ['documents', 'processed_keys']);
      const [docsB, keysB] = await schemaChecksums(b, 'sum_b', ['documents', 'processed_keys']);
      expect(docsA).toEqual(docsB);
      expect(keysA).toEqual(keysB);

      // another value, or array order, is a difference
      await b.query(`UPDATE sum_b.documents SET state = '{"a":"s","b":[{"x":1,"y":2},1]}'`);
      expect((await schemaChecksums(b, 'sum_b', ['documents']))[0]!.md5).not.toBe(docsA!.md5);
      // other tables compare text exactly
      await b.query(`UPDATE sum_b.processed_keys SET key = 'k1 '`);
      expect((await schemaChecksums(b, 'sum_b', ['processed_keys']))[0]!.md5).not.toBe(keysA!.md5);
    } finally {
      await a.destroy();
      await b.destroy();
    }
  });
});
