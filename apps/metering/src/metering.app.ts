import { CoreTables1763700000000 } from '@revstream/persistence';
import type { ProjectionAppDefinition } from '@revstream/projections';

/** The metering consumer: what it projects, into which schema, with which migrations. */
export const meteringApp: ProjectionAppDefinition = {
  name: 'metering',
  schema: 'metering',
  migrations: [CoreTables1763700000000],
  handlers: [],
};
