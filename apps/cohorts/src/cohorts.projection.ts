import { assertNever, type DocumentProjection } from '@revstream/events';
import { COHORT_EVENT_TYPES, type CohortEvent, emptyTenantFacts, recordEvent, type TenantFacts } from '@revstream/scoring';

/** Whether an event carries anything the scorer keeps beyond the clock (anonymous activity does not). */
function matters(event: CohortEvent): boolean {
  switch (event.type) {
    case 'revlint.product_event':
      return event.metadata.customerId !== null || (event.data.externalUserId !== null && event.data.stripeCustomerId !== null);
    case 'pulsora.pageview':
    case 'pulsora.event':
    case 'pulsora.identify':
      return event.metadata.customerId !== null;
    case 'pulsora.revenue':
    case 'valued.revenue':
    case 'clock.tick':
    case 'catalog.cohort_settings_changed':
      return true;
    default:
      return assertNever(event, 'event');
  }
}

/**
 * The cohort scorer: one document per tenant, holding the tenant's facts (@revstream/scoring
 * `TenantFacts`). A tenant is the unit because its rules compare accounts with each other (the
 * tenant's top plan, the usage percentile of a plan's accounts) and because a clock tick, one per
 * tenant, must reach all of its accounts. Events join into the facts in any order (docs/cohorts.md),
 * so partition interleaving, batch boundaries and replays give the same document.
 */
export const cohortsProjection: DocumentProjection<TenantFacts, CohortEvent> = {
  name: 'cohorts',
  version: 2, // 2: prices and Pulsora effects read by libs/mrr (the billing projector's rules)
  canHandle: COHORT_EVENT_TYPES,
  initialState: () => emptyTenantFacts(),
  keyOf: (event) => (matters(event) ? event.metadata.tenantId : null),
  evolve: recordEvent,
};
