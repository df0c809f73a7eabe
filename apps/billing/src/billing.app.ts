import { CoreTables1763700000000 } from '@revstream/persistence';
import type { ProjectionAppDefinition } from '@revstream/projections';

/** The billing consumer: what it projects, into which schema, with which migrations. */
export const billingApp: ProjectionAppDefinition = {
  name: 'billing',
  schema: 'billing',
  migrations: [CoreTables1763700000000],
  handlers: [],
};
