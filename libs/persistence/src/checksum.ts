import { quoteIdent } from './database';

export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

export interface TableChecksum {
  table: string;
  rows: number;
  md5: string;
}

/**
 * A checksum of a table's content, independent of physical row order: md5 over every row's text
 * form, sorted. Two tables with the same rows, byte for byte, have the same checksum.
 */
export async function tableChecksum(db: Queryable, schema: string, table: string): Promise<TableChecksum> {
  const rows = (await db.query(
    `SELECT count(*)::int AS rows, md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) AS md5
       FROM ${quoteIdent(schema)}.${quoteIdent(table)} t`,
  )) as Array<{ rows: number; md5: string }>;
  return { table, rows: rows[0]!.rows, md5: rows[0]!.md5 };
}

/** Checksums of the given tables, in the order given. */
export async function schemaChecksums(db: Queryable, schema: string, tables: readonly string[]): Promise<TableChecksum[]> {
  const out: TableChecksum[] = [];
  for (const table of tables) out.push(await tableChecksum(db, schema, table));
  return out;
}
