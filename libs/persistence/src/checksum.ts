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
 * A row's text form as compared: the row itself, except in `documents`, whose state is a projection's
 * JSON text in the key order its objects were built in (which can follow the order events of several
 * partitions arrived in), so it is compared as the JSON value it holds, as jsonb (it was stored as
 * jsonb until DocumentsStateText1763700005000, and old rows keep jsonb's formatting until rewritten).
 */
const comparedRow = (table: string): string => (table === 'documents' ? '(t.projection, t.key, t.state::jsonb)::text' : 't::text');

/**
 * A checksum of a table's content, independent of physical row order: md5 over every row's text
 * form, sorted. Two tables with the same rows, byte for byte, have the same checksum (documents: the
 * same JSON values, see comparedRow).
 */
export async function tableChecksum(db: Queryable, schema: string, table: string): Promise<TableChecksum> {
  const row = comparedRow(table);
  const rows = (await db.query(
    `SELECT count(*)::int AS rows, md5(coalesce(string_agg(${row}, E'\\n' ORDER BY ${row}), '')) AS md5
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
