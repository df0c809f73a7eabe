import { type Envelope, envelopeKey } from './envelope';
import { PoisonEventError } from './errors';
import { type DomainEvent, EVENT_TYPES, type EventSource, type EventType, isEventType, type LogPosition } from './event-types';
import { canonicalInstantMs, instantMs } from './instant';
import { isJsonObject } from './json';
import { UPCASTERS, type UpcasterRegistry } from './upcasters';

export interface EncodedRecord {
  key: string;
  value: string;
}

/**
 * The record for an envelope: JSON value and tenant:customer key. No headers: the type and schema
 * version are in the value, and kafkajs encodes each header with buffers of its own (about 5 µs per
 * record to produce two, 1.3 µs to consume them; docs/performance.md).
 */
export function encodeEnvelope(envelope: Envelope): EncodedRecord {
  return { key: envelopeKey(envelope), value: JSON.stringify(envelope) };
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const SOURCES: readonly EventSource[] = ['revlint', 'pulsora', 'revnu', 'valued', 'revenium', 'catalog', 'clock'];

function requireString(o: Record<string, unknown>, field: string, nullable = false): string | null {
  const v = o[field];
  if (nullable && (v === null || v === undefined)) return null;
  if (typeof v !== 'string' || v.length === 0) {
    throw new PoisonEventError('invalid_envelope', `${field}: must be a non-empty string${nullable ? ' or null' : ''}`);
  }
  return v;
}

function requireInstant(o: Record<string, unknown>, field: string): string {
  const v = requireString(o, field) as string;
  if (!Number.isNaN(canonicalInstantMs(v))) return v; // what every producer here writes: valid as read
  if (!ISO_INSTANT.test(v) || Number.isNaN(instantMs(v))) {
    throw new PoisonEventError('invalid_envelope', `${field}: must be an ISO-8601 instant`);
  }
  return v;
}

/**
 * Parses a record value into a domain event, upcasting old schema versions. Anything that is not a
 * well-formed envelope of a known type and version throws PoisonEventError, with the reason.
 */
export function decodeEnvelope(
  value: Buffer | string | null,
  position?: LogPosition,
  upcasters: UpcasterRegistry = UPCASTERS,
): DomainEvent {
  if (value === null) throw new PoisonEventError('invalid_json', 'record has no value (tombstone)');
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
  } catch (error) {
    throw new PoisonEventError('invalid_json', error instanceof Error ? error.message : String(error));
  }
  if (!isJsonObject(parsed)) throw new PoisonEventError('invalid_envelope', 'value is not a JSON object');
  const o = parsed as Record<string, unknown>;

  const type = o.type;
  if (!isEventType(type)) throw new PoisonEventError('unknown_event_type', `type: ${JSON.stringify(type)} is not a known event type`);
  const spec = EVENT_TYPES[type];
  const source = o.source;
  if (!SOURCES.includes(source as EventSource)) throw new PoisonEventError('invalid_envelope', `source: ${JSON.stringify(source)} is not a known source`);
  if (source !== spec.source) throw new PoisonEventError('invalid_envelope', `source: ${String(source)} does not match type ${type}`);
  const schemaVersion = o.schemaVersion;
  if (typeof schemaVersion !== 'number' || !Number.isInteger(schemaVersion) || schemaVersion < 1) {
    throw new PoisonEventError('invalid_envelope', 'schemaVersion: must be a positive integer');
  }
  if (schemaVersion > spec.currentVersion) {
    throw new PoisonEventError('unknown_schema_version', `${type} v${schemaVersion} is newer than this consumer knows (v${spec.currentVersion})`);
  }
  if (!isJsonObject(o.body)) throw new PoisonEventError('invalid_envelope', 'body: must be a JSON object');

  let data: unknown = o.body;
  for (let v = schemaVersion; v < spec.currentVersion; v++) {
    const upcast = upcasters[type]?.[v];
    if (upcast === undefined) throw new PoisonEventError('unknown_schema_version', `${type} v${v} has no upcaster to v${v + 1}`);
    data = upcast(data);
  }

  const metadata = {
    eventId: requireString(o, 'eventId') as string,
    tenantId: requireString(o, 'tenantId') as string,
    source: spec.source,
    schemaVersion,
    receivedAt: requireInstant(o, 'receivedAt'),
    occurredAt: requireInstant(o, 'occurredAt'),
    customerId: requireString(o, 'customerId', true),
    idempotencyKey: requireString(o, 'idempotencyKey', true),
    producer: typeof o.producer === 'string' && o.producer.length > 0 ? o.producer : 'unknown',
    ...(position ? { position } : {}),
  };
  return { type, data, metadata } as DomainEvent;
}

/** The inverse of decode, for re-publishing a domain event (used by tools and tests). */
export function toEnvelope<T extends EventType>(event: DomainEvent<T>): Envelope<T> {
  const { metadata } = event;
  return {
    eventId: metadata.eventId,
    tenantId: metadata.tenantId,
    source: metadata.source,
    type: event.type,
    schemaVersion: EVENT_TYPES[event.type].currentVersion,
    receivedAt: metadata.receivedAt,
    occurredAt: metadata.occurredAt,
    customerId: metadata.customerId,
    idempotencyKey: metadata.idempotencyKey,
    producer: metadata.producer,
    body: event.data,
  } as Envelope<T>;
}
