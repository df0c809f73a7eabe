import { CORE_MIGRATIONS } from '@revstream/persistence';
import { documentProjectionHandler, type ProjectionAppDefinition } from '@revstream/projections';
import { cohortsProjection } from './cohorts.projection';
import { cohortsReadModel } from './cohorts.read-model';
import { CohortsTables1763700004000 } from './migrations/1763700004000-cohorts-tables.migration';

/** The cohorts consumer: what it projects, into which schema, with which migrations. */
export const cohortsApp: ProjectionAppDefinition = {
  name: 'cohorts',
  schema: 'cohorts',
  migrations: [...CORE_MIGRATIONS, CohortsTables1763700004000],
  // A tenant's document is large and touched by every batch: the instance keeps the ones it wrote
  // (checked by xmin, so a rebalance or a rollback reloads them). bench:cohorts, load 2.7 to 3.1:
  // 5,917 and 6,048 events/s without, 7,917 and 8,419 with (docs/performance.md).
  handlers: [documentProjectionHandler(cohortsProjection, cohortsReadModel, { cacheSize: 1_000 })],
};
