import type { QueryRunner } from 'typeorm';

/** What a projection handler may do inside the batch transaction: SQL in its own schema. */
export interface ProjectionTx {
  /** The projection's schema, already quoted for SQL: `"billing"`. */
  readonly schema: string;
  query<T extends object = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

export function projectionTx(queryRunner: QueryRunner, quotedSchema: string): ProjectionTx {
  return {
    schema: quotedSchema,
    async query<T extends object>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
      const result = (await queryRunner.query(sql, params as unknown[], true)) as { records: T[] };
      return result.records;
    },
  };
}

/** SQLSTATE classes that a retry can never fix: the data itself is wrong (22) or breaks a constraint (23). */
export function isDeterministicDbError(error: unknown): boolean {
  const code = (error as { code?: unknown; driverError?: { code?: unknown } })?.driverError?.code ?? (error as { code?: unknown })?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}
