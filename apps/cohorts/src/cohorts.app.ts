import { CoreTables1763700000000 } from '@revstream/persistence';
import { documentProjectionHandler, type ProjectionAppDefinition } from '@revstream/projections';
import { cohortsProjection } from './cohorts.projection';
import { cohortsReadModel } from './cohorts.read-model';
import { CohortsTables1763700004000 } from './migrations/1763700004000-cohorts-tables.migration';

/** The cohorts consumer: what it projects, into which schema, with which migrations. */
export const cohortsApp: ProjectionAppDefinition = {
  name: 'cohorts',
  schema: 'cohorts',
  migrations: [CoreTables1763700000000, CohortsTables1763700004000],
  handlers: [documentProjectionHandler(cohortsProjection, cohortsReadModel)],
};
