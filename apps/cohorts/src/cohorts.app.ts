import { CoreTables1763700000000 } from '@revstream/persistence';
import type { ProjectionAppDefinition } from '@revstream/projections';

/** The cohorts consumer: what it projects, into which schema, with which migrations. */
export const cohortsApp: ProjectionAppDefinition = {
  name: 'cohorts',
  schema: 'cohorts',
  migrations: [CoreTables1763700000000],
  handlers: [],
};
