import type { DataSource } from 'typeorm';

/**
 * Raw SQL that always returns the rows. TypeORM's `DataSource.query` returns `[rows, count]` for
 * UPDATE and DELETE, which silently breaks `RETURNING`; this does not.
 */
export interface SqlClient {
  query<T extends object = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

export function sqlClient(dataSource: DataSource): SqlClient {
  return {
    async query<T extends object>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
      const runner = dataSource.createQueryRunner();
      try {
        const result = (await runner.query(sql, params as unknown[], true)) as { records: T[] };
        return result.records;
      } finally {
        await runner.release();
      }
    },
  };
}
