import type { ProjectionAppDefinition } from '@revstream/projections';
import { billingApp } from '../../billing/src/billing.app';
import { cohortsApp } from '../../cohorts/src/cohorts.app';
import { gatewayIdentityApp } from '../../gateway/src/identity/identity.app';
import { meteringApp } from '../../metering/src/metering.app';

/** Every consumer app (and the gateway's identity projection), as the operator CLI migrates and replays them. */
export const PROJECTION_APPS: readonly ProjectionAppDefinition[] = [billingApp, meteringApp, cohortsApp, gatewayIdentityApp];
