import { type DomainEvent, instantMs, isJsonObject, type JsonValue, REVLINT_USAGE_LIMIT_KEYS } from '@revstream/events';
import type { MeterKind } from './aggregation';
import { type Decimal, decimalFromNumber } from './decimal';
import { RatingInputError } from './errors';
import type { MeterReading } from './usage-fold';

export type UsageSource = 'revnu' | 'revenium' | 'revlint';
export type UsageEvent = DomainEvent<'revnu.usage' | 'revenium.meter' | 'revlint.product_event'>;
export const USAGE_EVENT_TYPES = ['revnu.usage', 'revenium.meter', 'revlint.product_event'] as const;

/**
 * One reading of one meter for one customer: what the ledger stores, one row each. `customerId` is
 * the envelope's customer ('' when the event names none: unattributed usage, still counted); `key`
 * is the dedup key (`dedupKeyOf`), shared by every reading of one event.
 */
export interface UsageFact extends MeterReading {
  readonly source: UsageSource;
  /** Revenium: the data source the element belongs to ('' when the event names none). */
  readonly sourceId?: string;
}

export const MAX_METER_NAME_LENGTH = 200;

/**
 * A repeat of the same key, for the same tenant and customer, never counts twice. Keys are scoped by
 * source (two sources' keys are different namespaces) and by customer: a customer's events share a
 * partition, so which copy of a key came first is decided by log order, the same on every run.
 */
export function dedupKeyOf(event: DomainEvent): string {
  const { idempotencyKey, eventId, source } = event.metadata;
  return idempotencyKey !== null ? `${source}:${idempotencyKey}` : `${EVENT_ID_KEY_PREFIX}${eventId}`;
}

/** Dedup keys made of an event id start with this; a source's keys start with the source's name. */
export const EVENT_ID_KEY_PREFIX = 'event:';

const instant = instantMs;

/** Meter names are taken as sent (no trimming: two keys that differ are two meters). */
export function meterName(name: unknown, field: string): string {
  if (typeof name !== 'string' || name.trim().length === 0) throw new RatingInputError(`${field}: must be a non-empty string`);
  if (name.length > MAX_METER_NAME_LENGTH) throw new RatingInputError(`${field}: a meter name is at most ${MAX_METER_NAME_LENGTH} characters`);
  return name;
}

function reading(value: unknown, field: string): Decimal {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new RatingInputError(`${field}: must be a finite number, got ${JSON.stringify(value)}`);
  return decimalFromNumber(value);
}

/** The name of a Revenue Linter gauge: `revlint:<name>`, and `revlint:<name>:limit` for its limit. */
export const REVLINT_METER_PREFIX = 'revlint:';

const PAIR_NAMES: Readonly<Record<string, string>> = { usage: 'usage', currentUsage: 'usage', seatsUsed: 'seats', quantity: 'quantity' };

function label(properties: Record<string, JsonValue>): string | null {
  for (const key of ['metric', 'unit']) {
    const v = properties[key];
    if (typeof v === 'string' && v.trim().length > 0 && v.length <= MAX_METER_NAME_LENGTH - 20) return v;
  }
  return null;
}

/**
 * The meter readings an event carries. Throws RatingInputError (the event is dead-lettered) when it
 * carries a reading that cannot be one.
 *  - revnu.usage: one reading of the product's meter (its eventName), a positive whole number.
 *  - revenium.meter: one reading per payload key; each key is a metering element (meter = the key).
 *  - revlint.product_event: a gauge per usage/limit pair present in its properties (both keys): the
 *    usage as `revlint:<name>` and the limit as `revlint:<name>:limit`. The name is the event's
 *    `metric`, else its `unit`, else the pair's (usage, seats, quantity); seats are always `seats`.
 *    Two pairs that would share a name: the first in Revenue Linter's list wins. Events without a
 *    pair are not usage and carry no reading.
 */
export function usageFactsOf(event: UsageEvent): UsageFact[] {
  const m = event.metadata;
  const key = dedupKeyOf(event);
  const occurredAt = instant(m.occurredAt);
  const receivedAt = instant(m.receivedAt);
  // One constructor, so every fact has the same shape (the fold reads millions of them).
  const fact = (customerId: string, meter: string, kind: MeterKind, source: UsageSource, value: Decimal, sourceId: string | undefined): UsageFact => ({
    tenantId: m.tenantId,
    customerId,
    meter,
    kind,
    source,
    key,
    occurredAt,
    receivedAt,
    value,
    sourceId,
  });
  switch (event.type) {
    case 'revnu.usage': {
      const d = event.data;
      if (typeof d.value !== 'number' || !Number.isSafeInteger(d.value) || d.value < 1) {
        throw new RatingInputError(`value: must be a positive whole number, got ${JSON.stringify(d.value)}`);
      }
      return [fact(m.customerId ?? d.stripeCustomerId ?? '', meterName(d.eventName, 'eventName'), 'counter', 'revnu', decimalFromNumber(d.value), undefined)];
    }
    case 'revenium.meter': {
      const d = event.data;
      if (!isJsonObject(d.payload)) throw new RatingInputError('payload: must be an object of metric names to numbers');
      const customerId = m.customerId ?? d.subscriberCredential ?? '';
      const sourceId = d.sourceId ?? '';
      return Object.keys(d.payload)
        .sort()
        .map((k) => fact(customerId, meterName(k, `payload key ${JSON.stringify(k)}`), 'counter', 'revenium', reading(d.payload[k], `payload.${k}`), sourceId));
    }
    case 'revlint.product_event': {
      const properties = event.data.properties;
      if (!isJsonObject(properties)) return [];
      const customerId = m.customerId ?? event.data.stripeCustomerId ?? event.data.externalUserId ?? '';
      const pairs = REVLINT_USAGE_LIMIT_KEYS.filter(([u, l]) => properties[u] !== undefined && properties[l] !== undefined);
      const named = label(properties);
      const facts: UsageFact[] = [];
      const seen = new Set<string>();
      for (const [usageKey, limitKey] of pairs) {
        const name = usageKey === 'seatsUsed' ? 'seats' : (named ?? PAIR_NAMES[usageKey]!);
        if (seen.has(name)) continue;
        seen.add(name);
        const meter = `${REVLINT_METER_PREFIX}${name}`;
        facts.push(
          fact(customerId, meter, 'gauge', 'revlint', reading(properties[usageKey], `properties.${usageKey}`), undefined),
          fact(customerId, `${meter}:limit`, 'gauge', 'revlint', reading(properties[limitKey], `properties.${limitKey}`), undefined),
        );
      }
      return facts;
    }
  }
}
