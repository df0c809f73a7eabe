import type { EntitySchema, MixedList } from 'typeorm';
import type { ProjectionHandler } from './projection-handler';

/**
 * What a consumer app projects, where, and with which migrations. The app's main.ts boots it; the
 * CLI uses the same definition to migrate and to replay it.
 */
export interface ProjectionAppDefinition {
  readonly name: string;
  /** The Postgres schema the app owns. Nothing else writes there; the query API only reads it. */
  readonly schema: string;
  readonly migrations: MixedList<Function | string>;
  readonly entities?: MixedList<Function | string | EntitySchema>;
  readonly handlers: readonly ProjectionHandler[];
}
