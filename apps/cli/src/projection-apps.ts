import type { ProjectionAppDefinition } from '@revstream/projections';
import { billingApp } from '../../billing/src/billing.app';
import { cohortsApp } from '../../cohorts/src/cohorts.app';
import { meteringApp } from '../../metering/src/metering.app';

/** Every consumer app, as the operator CLI migrates and replays them. */
export const PROJECTION_APPS: readonly ProjectionAppDefinition[] = [billingApp, meteringApp, cohortsApp];
