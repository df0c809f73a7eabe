import { CORE_MIGRATIONS } from '@revstream/persistence';
import type { ProjectionAppDefinition } from '@revstream/projections';
import { meteringHandler } from './metering.projection';
import { MeteringTables1763700003000 } from './migrations/1763700003000-metering-tables';

/** The metering consumer: what it projects, into which schema, with which migrations. */
export const meteringApp: ProjectionAppDefinition = {
  name: 'metering',
  schema: 'metering',
  migrations: [...CORE_MIGRATIONS, MeteringTables1763700003000],
  handlers: [meteringHandler()],
};
