import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { QueryRunner } from 'typeorm';

/** What a projection handler may do inside the batch transaction: SQL in its own schema. */
export interface ProjectionTx {
  /** The projection's schema, already quoted for SQL: `"billing"`. */
  readonly schema: string;
  query<T extends object = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** `COPY … FROM STDIN` with this data (binary rows: `BinaryCopyWriter` in @revstream/persistence), in the transaction. */
  copyFrom(sql: string, data: Buffer): Promise<void>;
  /**
   * Registers how to undo an in-memory effect of this call (a handler's cache of what it wrote): run
   * when the transaction rolls back, or the savepoint the runner set around this event does.
   */
  onRollback(undo: () => void): void;
  /**
   * Registers an in-memory effect to apply once this transaction has committed (a handler's state
   * that must only ever hold committed work). Dropped, never run, when the transaction rolls back, or
   * the savepoint the runner set around this event does.
   */
  onCommit(effect: () => void): void;
}

/** The runner's side of a ProjectionTx: undoing what handlers registered on a rollback, applying it on a commit. */
export interface ProjectionTxControl extends ProjectionTx {
  /** How many undos and commit effects are registered so far (a savepoint's mark). */
  readonly undoMark: number;
  /** Runs the undos registered after `mark`, latest first, and forgets them and the commit effects registered after it. */
  rollBackTo(mark: number): void;
  /** The transaction committed: runs the commit effects in the order they were registered, and forgets everything. */
  committed(): void;
}

export function projectionTx(queryRunner: QueryRunner, quotedSchema: string): ProjectionTxControl {
  // Undos and commit effects in one list, so a savepoint's mark covers both.
  const effects: Array<{ readonly undo?: () => void; readonly commit?: () => void }> = [];
  return {
    schema: quotedSchema,
    async query<T extends object>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
      const result = (await queryRunner.query(sql, params as unknown[], true)) as { records: T[] };
      return result.records;
    },
    async copyFrom(sql: string, data: Buffer): Promise<void> {
      // The query runner's own connection, inside its transaction (connect() returns it once connected).
      const client = (await queryRunner.connect()) as PoolClient;
      const stream = client.query(copyFrom(sql));
      await new Promise<void>((resolve, reject) => {
        stream.on('finish', resolve);
        stream.on('error', reject);
        stream.end(data);
      });
    },
    onRollback(undo: () => void): void {
      effects.push({ undo });
    },
    onCommit(commit: () => void): void {
      effects.push({ commit });
    },
    get undoMark(): number {
      return effects.length;
    },
    rollBackTo(mark: number): void {
      while (effects.length > mark) effects.pop()!.undo?.();
    },
    committed(): void {
      const done = effects.splice(0);
      for (const e of done) e.commit?.();
    },
  };
}

/** SQLSTATE classes that a retry can never fix: the data itself is wrong (22) or breaks a constraint (23). */
export function isDeterministicDbError(error: unknown): boolean {
  const code = (error as { code?: unknown; driverError?: { code?: unknown } })?.driverError?.code ?? (error as { code?: unknown })?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}
