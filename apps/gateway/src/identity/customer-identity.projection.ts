import type { DocumentProjection, DomainEvent } from '@revstream/events';
import type { ReadModel, RenderedRows } from '@revstream/projections';

/**
 * Learns who a Stripe customer is under other names, from events that carry both: an email hash or
 * an external user id alongside a Stripe customer id (Revenue Linter events; Valued customers with
 * `stripe_customer_id`). One document per tenant and Stripe customer; for each alias, the latest
 * day (UTC, of occurredAt) it was seen with that customer. Order-independent and idempotent (a max
 * per alias), so late events and replays give the same rows, and every event that shows the same
 * customer, aliases and day has the same effect: they share one dedup key, so a busy customer costs
 * one claim a day instead of one per event. The read model answers `GET /api/v1/access?email=`.
 */
export type AliasKind = 'email' | 'external';

export interface CustomerIdentityState {
  tenantId: string;
  stripeCustomerId: string;
  /** `<kind>:<alias>` -> the last day (YYYY-MM-DD, UTC) it was seen with this customer. */
  aliases: Record<string, string>;
}

export type IdentityEvent = DomainEvent<'revlint.product_event' | 'valued.revenue'>;

interface Sighting {
  stripeCustomerId: string;
  aliases: string[];
}

const nonEmpty = (v: string | null | undefined): v is string => typeof v === 'string' && v.length > 0;

const UTC_INSTANT = /^\d{4}-\d{2}-\d{2}T[^Z+-]*Z$/;

/** The UTC day of an event (the gateway writes occurredAt in UTC already; other producers may use an offset). */
const dayOf = (event: IdentityEvent): string => {
  const at = event.metadata.occurredAt;
  return UTC_INSTANT.test(at) ? at.slice(0, 10) : new Date(at).toISOString().slice(0, 10);
};

/** The Stripe customer and the aliases an event shows together; null when it shows no such pair. */
export function sightingOf(event: IdentityEvent): Sighting | null {
  let stripe: string | null | undefined;
  const aliases: string[] = [];
  switch (event.type) {
    case 'revlint.product_event':
      stripe = event.data.stripeCustomerId;
      if (nonEmpty(event.data.externalUserId)) aliases.push(`external:${event.data.externalUserId}`);
      if (nonEmpty(event.data.email)) aliases.push(`email:${event.data.email}`);
      break;
    case 'valued.revenue':
      stripe = event.data.customer?.stripe_customer_id;
      if (nonEmpty(event.data.customer?.id)) aliases.push(`external:${event.data.customer!.id}`);
      if (nonEmpty(event.data.customer?.email)) aliases.push(`email:${event.data.customer!.email}`);
      break;
  }
  return nonEmpty(stripe) && aliases.length > 0 ? { stripeCustomerId: stripe, aliases } : null;
}

export const customerIdentityProjection: DocumentProjection<CustomerIdentityState, IdentityEvent> = {
  name: 'customer_identity',
  version: 1,
  canHandle: ['revlint.product_event', 'valued.revenue'],
  initialState: () => ({ tenantId: '', stripeCustomerId: '', aliases: {} }),
  keyOf: (event) => {
    const sighting = sightingOf(event);
    return sighting === null ? null : `${event.metadata.tenantId}|${sighting.stripeCustomerId}`;
  },
  // Events with the same customer, aliases and day have the same effect; the handler adds the tenant.
  dedupKey: (event) => {
    const sighting = sightingOf(event);
    return sighting === null ? `event:${event.metadata.eventId}` : `${sighting.stripeCustomerId}|${[...sighting.aliases].sort().join('|')}|${dayOf(event)}`;
  },
  evolve: (state, event) => {
    switch (event.type) {
      case 'revlint.product_event':
      case 'valued.revenue': {
        const sighting = sightingOf(event);
        if (sighting === null) return state;
        const seenOn = dayOf(event);
        const aliases = { ...state.aliases };
        for (const alias of sighting.aliases) {
          const previous = aliases[alias];
          if (previous === undefined || previous < seenOn) aliases[alias] = seenOn;
        }
        // Keys sorted, so the document is the same whatever order the aliases arrived in.
        const sorted = Object.fromEntries(Object.keys(aliases).sort().map((k) => [k, aliases[k]!]));
        return { tenantId: event.metadata.tenantId, stripeCustomerId: sighting.stripeCustomerId, aliases: sorted };
      }
    }
  },
};

export const CUSTOMER_ALIASES_TABLE = 'customer_aliases';

export const customerIdentityReadModel: ReadModel<CustomerIdentityState> = {
  tables: [
    {
      name: CUSTOMER_ALIASES_TABLE,
      mode: 'replace',
      columns: { tenant_id: 'text', kind: 'text', alias: 'text', stripe_customer_id: 'text', last_seen_on: 'date' },
      primaryKey: ['tenant_id', 'kind', 'alias', 'stripe_customer_id'],
    },
  ],
  render: (_key, state): RenderedRows => ({
    [CUSTOMER_ALIASES_TABLE]: Object.keys(state.aliases)
      .sort()
      .map((key) => {
        const colon = key.indexOf(':');
        return {
          tenant_id: state.tenantId,
          kind: key.slice(0, colon),
          alias: key.slice(colon + 1),
          stripe_customer_id: state.stripeCustomerId,
          last_seen_on: state.aliases[key]!,
        };
      }),
  }),
};
