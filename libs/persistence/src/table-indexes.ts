import { quoteIdent } from './database';
import type { SqlClient } from './sql-client';

/**
 * Drops a table's indexes, its primary key and unique constraints included, and returns what builds
 * them again exactly as they were (Postgres's own `pg_get_constraintdef` and `pg_get_indexdef`). To
 * fill an empty table with COPY: building each index once, with one sort, costs a fraction of
 * maintaining it row by row. Run both in one transaction: a rollback brings the indexes back.
 * `table` is schema-qualified and quoted (`"metering".usage`); nothing may reference the table's keys.
 */
export async function dropIndexes(db: SqlClient, table: string): Promise<() => Promise<void>> {
  const constraints = await db.query<{ name: string; def: string }>(
    `SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
      WHERE conrelid = $1::regclass AND contype IN ('p', 'u', 'x') ORDER BY conname`,
    [table],
  );
  const indexes = await db.query<{ name: string; def: string }>(
    `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name, pg_get_indexdef(i.indexrelid) AS def
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE i.indrelid = $1::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid)
      ORDER BY c.relname`,
    [table],
  );
  for (const c of constraints) await db.query(`ALTER TABLE ${table} DROP CONSTRAINT ${quoteIdent(c.name)}`);
  for (const i of indexes) await db.query(`DROP INDEX ${i.name}`);
  return async () => {
    for (const c of constraints) await db.query(`ALTER TABLE ${table} ADD CONSTRAINT ${quoteIdent(c.name)} ${c.def}`);
    for (const i of indexes) await db.query(i.def);
  };
}
