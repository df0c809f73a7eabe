import type { JsonValue } from '@revstream/events';
import { textArray } from '@revstream/persistence';
import type { ProjectionTx } from './projection-tx';

export type ColumnType = 'text' | 'integer' | 'bigint' | 'boolean' | 'timestamptz' | 'date' | 'jsonb';

/** A read-model row: column name to value. jsonb columns take any JSON value. */
export type Row = Readonly<Record<string, JsonValue>>;

/**
 * A table a document projection renders rows into.
 *  - `replace` tables hold rows that belong to one document: rows it stops rendering are deleted.
 *  - `additive` tables sum the `additive` columns over every document (for example MRR per day per
 *    currency): each document contributes its rows, and a change moves the totals by the difference.
 *    A row whose totals all come back to zero is deleted, so the table only depends on the final state.
 */
export interface ReadModelTable {
  readonly name: string;
  readonly columns: Readonly<Record<string, ColumnType>>;
  readonly primaryKey: readonly string[];
  readonly mode: 'replace' | 'additive';
  /** For additive tables: the bigint columns that are summed. Every other column is in the primary key. */
  readonly additive?: readonly string[];
}

export type RenderedRows = Readonly<Record<string, readonly Row[]>>;

/** How a document's state appears in tables. Pure: the same state renders the same rows. */
export interface ReadModel<S> {
  readonly tables: readonly ReadModelTable[];
  readonly render: (key: string, state: S) => RenderedRows;
}

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/**
 * A row's primary key as one string, without JSON: each value tagged with its type and joined by NUL,
 * which Postgres text can never contain (so two different keys never give the same string).
 */
function pkOf(table: ReadModelTable, row: Row): string {
  let key = '';
  for (const column of table.primaryKey) {
    const value = row[column];
    if (key.length > 0) key += '\u0000';
    if (typeof value === 'string') key += `s${value}`;
    else if (value === undefined || value === null) key += 'z';
    else if (typeof value === 'object') key += `j${JSON.stringify(value)}`;
    else key += `${typeof value === 'number' ? 'n' : 'b'}${String(value)}`;
  }
  return key;
}

const showPk = (table: ReadModelTable, row: Row): string => JSON.stringify(table.primaryKey.map((c) => row[c] ?? null));

/** Whether two JSON values are the same (object key order aside: jsonb does not keep it either). */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) {
    if (!Object.prototype.hasOwnProperty.call(b, k) || !jsonEqual(a[k], b[k])) return false;
  }
  return true;
}

/** Whether two rows write the same values (a missing column is written as null). */
function sameRow(table: ReadModelTable, a: Row, b: Row): boolean {
  if (a === b) return true;
  for (const column in table.columns) {
    const x = a[column] ?? null;
    const y = b[column] ?? null;
    if (x !== y && !jsonEqual(x, y)) return false;
  }
  return true;
}

/**
 * One column of rows as a binary text[] parameter (pg would otherwise escape and quote every element
 * into an array literal). Postgres reads each element with the column type's own input function, as
 * it read the literal's: `unnestSelect` casts `$n::text[]` to the column's array type.
 */
function columnArray(table: ReadModelTable, column: string, rows: readonly Row[]): Buffer {
  const type = table.columns[column];
  return textArray(
    rows.map((row) => {
      const value = row[column];
      if (value === undefined || value === null) return null;
      return type === 'jsonb' ? JSON.stringify(value) : typeof value === 'string' ? value : String(value);
    }),
  );
}

function unnestSelect(table: ReadModelTable, columns: readonly string[], firstParam = 1): string {
  return `SELECT * FROM unnest(${columns.map((c, i) => `$${firstParam + i}::text[]${table.columns[c] === 'text' ? '' : `::${table.columns[c]}[]`}`).join(', ')})`;
}

/**
 * Where a key is in a list (-1 if absent). A document renders a handful of rows into most tables: for
 * those a linear search costs less than building a Map per table per document; long lists get one.
 */
function finder(keys: readonly string[]): (key: string) => number {
  if (keys.length <= 16) return (key) => keys.indexOf(key);
  const at = new Map<string, number>();
  for (let i = 0; i < keys.length; i++) if (!at.has(keys[i]!)) at.set(keys[i]!, i);
  return (key) => at.get(key) ?? -1;
}

/** The difference between what documents rendered before and after a batch, per table. */
export class ReadModelDiff {
  private readonly upserts = new Map<string, Map<string, Row>>();
  private readonly deletes = new Map<string, Map<string, Row>>();
  private readonly additions = new Map<string, Map<string, Record<string, JsonValue>>>();

  constructor(private readonly tables: readonly ReadModelTable[]) {
    for (const t of tables) {
      this.upserts.set(t.name, new Map());
      this.deletes.set(t.name, new Map());
      this.additions.set(t.name, new Map());
    }
  }

  /** Records one document's change. */
  add(before: RenderedRows, after: RenderedRows): void {
    for (const table of this.tables) {
      const was = before[table.name] ?? [];
      const now = after[table.name] ?? [];
      if (table.mode === 'replace') this.addReplace(table, was, now);
      else this.addAdditive(table, was, now);
    }
  }

  private addReplace(table: ReadModelTable, was: readonly Row[], now: readonly Row[]): void {
    if (was.length === 0 && now.length === 0) return; // most documents render nothing into most tables
    const upserts = this.upserts.get(table.name)!;
    const deletes = this.deletes.get(table.name)!;
    const previousKeys = was.map((r) => pkOf(table, r));
    const nowKeys = now.map((r) => pkOf(table, r));
    const findPrevious = finder(previousKeys);
    const findNow = finder(nowKeys);
    for (let i = 0; i < now.length; i++) {
      const row = now[i]!;
      const pk = nowKeys[i]!;
      if (findNow(pk) !== i) throw new Error(`read model ${table.name}: one document rendered two rows with primary key ${showPk(table, row)}`);
      const at = findPrevious(pk);
      if (at < 0 || !sameRow(table, was[at]!, row)) {
        if (upserts.has(pk)) throw new Error(`read model ${table.name}: two documents rendered rows with primary key ${showPk(table, row)}`);
        upserts.set(pk, row);
      }
      deletes.delete(pk);
    }
    for (let i = 0; i < was.length; i++) {
      const pk = previousKeys[i]!;
      if (findNow(pk) < 0 && !upserts.has(pk)) deletes.set(pk, was[i]!);
    }
  }

  private addAdditive(table: ReadModelTable, was: readonly Row[], now: readonly Row[]): void {
    const additions = this.additions.get(table.name)!;
    const valueColumns = table.additive ?? [];
    const apply = (row: Row, sign: 1 | -1): void => {
      const pk = pkOf(table, row);
      let acc = additions.get(pk);
      if (acc === undefined) {
        acc = Object.fromEntries(table.primaryKey.map((c) => [c, row[c] ?? null]));
        for (const c of valueColumns) acc[c] = 0;
        additions.set(pk, acc);
      }
      for (const c of valueColumns) {
        const v = row[c];
        if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new Error(`read model ${table.name}.${c}: additive values must be safe integers, got ${JSON.stringify(v)}`);
        acc[c] = (acc[c] as number) + sign * v;
      }
    };
    for (const row of was) apply(row, -1);
    for (const row of now) apply(row, 1);
  }

  /** The rows to upsert and to delete in a replace table, in no particular order. */
  changesTo(table: string): { upserts: Row[]; deletes: Row[] } {
    return { upserts: [...(this.upserts.get(table)?.values() ?? [])], deletes: [...(this.deletes.get(table)?.values() ?? [])] };
  }

  /**
   * Writes the difference: a DELETE, an upsert, and additive increments per table, each one statement.
   * Rows go in primary-key order, so concurrent transactions lock shared rows in the same order.
   * Additive tables go last: their rows are shared by every document, so a concurrent batch waits on
   * them from this statement until the commit; the caller should write them as late as it can.
   */
  async write(tx: ProjectionTx): Promise<void> {
    const sorted = <R>(m: Map<string, R>): R[] => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
    const ordered = [...this.tables.filter((t) => t.mode === 'replace'), ...this.tables.filter((t) => t.mode !== 'replace')];
    for (const table of ordered) {
      const t = `${tx.schema}.${quote(table.name)}`;
      const pkCols = table.primaryKey;
      const deletes = sorted(this.deletes.get(table.name)!);
      if (deletes.length > 0) {
        await tx.query(
          `DELETE FROM ${t} WHERE (${pkCols.map(quote).join(', ')}) IN (${unnestSelect(table, pkCols)})`,
          pkCols.map((c) => columnArray(table, c, deletes)),
        );
      }
      const upserts = sorted(this.upserts.get(table.name)!);
      if (upserts.length > 0) {
        const cols = Object.keys(table.columns);
        const updates = cols.filter((c) => !pkCols.includes(c));
        await tx.query(
          `INSERT INTO ${t} (${cols.map(quote).join(', ')}) ${unnestSelect(table, cols)}
           ON CONFLICT (${pkCols.map(quote).join(', ')}) DO ${updates.length > 0 ? `UPDATE SET ${updates.map((c) => `${quote(c)} = EXCLUDED.${quote(c)}`).join(', ')}` : 'NOTHING'}`,
          cols.map((c) => columnArray(table, c, upserts)),
        );
      }
      const valueColumns = table.additive ?? [];
      const additions = sorted(this.additions.get(table.name)!).filter((a) => valueColumns.some((c) => a[c] !== 0));
      if (additions.length > 0) {
        const cols = [...pkCols, ...valueColumns];
        await tx.query(
          `INSERT INTO ${t} (${cols.map(quote).join(', ')}) ${unnestSelect(table, cols)}
           ON CONFLICT (${pkCols.map(quote).join(', ')}) DO UPDATE SET ${valueColumns.map((c) => `${quote(c)} = ${t}.${quote(c)} + EXCLUDED.${quote(c)}`).join(', ')}`,
          cols.map((c) => columnArray(table, c, additions)),
        );
        await tx.query(
          `DELETE FROM ${t} WHERE (${pkCols.map(quote).join(', ')}) IN (${unnestSelect(table, pkCols)})
             AND ${valueColumns.map((c) => `${quote(c)} = 0`).join(' AND ')}`,
          pkCols.map((c) => columnArray(table, c, additions)),
        );
      }
    }
  }
}
