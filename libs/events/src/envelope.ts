import { EVENT_TYPES, type EventDataMap, type EventSource, type EventType } from './event-types';

/**
 * The wire format of every record on the raw, catalog and clock topics (docs/events.md).
 * Value: this object as UTF-8 JSON. Key: `envelopeKey(envelope)`. Internal producers publish exactly this.
 */
export interface Envelope<T extends EventType = EventType> {
  eventId: string;
  tenantId: string;
  source: EventSource;
  type: T;
  schemaVersion: number;
  /** When Revstream (the gateway or the internal producer) received the event. ISO-8601 UTC. */
  receivedAt: string;
  /** When the event happened, per the source; receivedAt when the source gives no time. */
  occurredAt: string;
  /** The one customer identity: the Stripe customer id where the source has one, else the source's own id. */
  customerId: string | null;
  /** The source's idempotency key where it has one (transaction_id, transactionId, source_key). */
  idempotencyKey: string | null;
  /** `gateway`, or the internal service that produced it. */
  producer: string;
  /** The validated body, in the shape of `schemaVersion`. */
  body: EventDataMap[T];
}

/** Records are keyed by tenant and customer, so one customer's events stay in order on one partition. */
export const envelopeKey = (envelope: Pick<Envelope, 'tenantId' | 'customerId'>): string =>
  `${envelope.tenantId}:${envelope.customerId ?? ''}`;

export interface NewEnvelope<T extends EventType> {
  eventId: string;
  tenantId: string;
  type: T;
  receivedAt: string;
  occurredAt?: string | null;
  customerId: string | null;
  idempotencyKey?: string | null;
  producer: string;
  body: EventDataMap[T];
}

/** Builds an envelope at the current schema version of its type. */
export function createEnvelope<T extends EventType>(input: NewEnvelope<T>): Envelope<T> {
  const spec = EVENT_TYPES[input.type];
  return {
    eventId: input.eventId,
    tenantId: input.tenantId,
    source: spec.source,
    type: input.type,
    schemaVersion: spec.currentVersion,
    receivedAt: input.receivedAt,
    occurredAt: input.occurredAt ?? input.receivedAt,
    customerId: input.customerId,
    idempotencyKey: input.idempotencyKey ?? null,
    producer: input.producer,
    body: input.body,
  };
}
