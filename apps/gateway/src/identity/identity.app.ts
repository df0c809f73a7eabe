import { CORE_MIGRATIONS } from '@revstream/persistence';
import { documentProjectionHandler, type ProjectionAppDefinition } from '@revstream/projections';
import { customerIdentityProjection, customerIdentityReadModel } from './customer-identity.projection';
import { IdentityTables1763700001000 } from './1763700001000-identity-tables.migration';

/** What the gateway projects (the customer identity behind `GET /api/v1/access`), into its own schema. */
export const gatewayIdentityApp: ProjectionAppDefinition = {
  name: 'gateway',
  schema: 'gateway',
  migrations: [...CORE_MIGRATIONS, IdentityTables1763700001000],
  handlers: [documentProjectionHandler(customerIdentityProjection, customerIdentityReadModel)],
};
