import { CORE_MIGRATIONS } from '@revstream/persistence';
import { documentProjectionHandler, type ProjectionAppDefinition } from '@revstream/projections';
import { billingProjection } from './billing.projection';
import { billingReadModel } from './billing.read-model';
import { BillingReadModels1763700002000 } from './migrations/1763700002000-billing-read-models';

export const BILLING_SCHEMA = 'billing';
export const BILLING_MIGRATIONS = [...CORE_MIGRATIONS, BillingReadModels1763700002000];

/** The billing consumer: what it projects, into which schema, with which migrations. */
export const billingApp: ProjectionAppDefinition = {
  name: 'billing',
  schema: BILLING_SCHEMA,
  migrations: BILLING_MIGRATIONS,
  handlers: [documentProjectionHandler(billingProjection, billingReadModel)],
};
