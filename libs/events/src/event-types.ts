import type { ProductRegisteredData } from './sources/catalog';
import type { ClockTickData } from './sources/clock';
import type { CohortSettingsChangedData } from './sources/cohort-settings';
import type { PulsoraActivityData, PulsoraRevenueData } from './sources/pulsora';
import type { ReveniumMeterData } from './sources/revenium';
import type { RevlintProductEventData } from './sources/revlint';
import type { RevnuUsageData } from './sources/revnu';
import type { ValuedRevenueData } from './sources/valued';
import type { RawSource, TopicName } from './topics';

/** Every event type on the topics, and the shape of its data at the current schema version. */
export interface EventDataMap {
  'revlint.product_event': RevlintProductEventData;
  'pulsora.revenue': PulsoraRevenueData;
  'pulsora.pageview': PulsoraActivityData;
  'pulsora.event': PulsoraActivityData;
  'pulsora.identify': PulsoraActivityData;
  'revnu.usage': RevnuUsageData;
  'valued.revenue': ValuedRevenueData;
  'revenium.meter': ReveniumMeterData;
  'catalog.product_registered': ProductRegisteredData;
  'clock.tick': ClockTickData;
  'catalog.cohort_settings_changed': CohortSettingsChangedData;
}

export type EventType = keyof EventDataMap;

export type EventSource = RawSource | 'catalog' | 'clock';

interface EventTypeSpec {
  readonly source: EventSource;
  readonly topic: TopicName;
  /** The version producers write and projections see. Older versions are upcast on read. */
  readonly currentVersion: number;
}

export const EVENT_TYPES: { readonly [T in EventType]: EventTypeSpec } = {
  'revlint.product_event': { source: 'revlint', topic: 'raw.revlint', currentVersion: 1 },
  'pulsora.revenue': { source: 'pulsora', topic: 'raw.pulsora', currentVersion: 1 },
  'pulsora.pageview': { source: 'pulsora', topic: 'raw.pulsora', currentVersion: 1 },
  'pulsora.event': { source: 'pulsora', topic: 'raw.pulsora', currentVersion: 1 },
  'pulsora.identify': { source: 'pulsora', topic: 'raw.pulsora', currentVersion: 1 },
  'revnu.usage': { source: 'revnu', topic: 'raw.revnu', currentVersion: 1 },
  'valued.revenue': { source: 'valued', topic: 'raw.valued', currentVersion: 1 },
  'revenium.meter': { source: 'revenium', topic: 'raw.revenium', currentVersion: 1 },
  'catalog.product_registered': { source: 'catalog', topic: 'catalog', currentVersion: 1 },
  'clock.tick': { source: 'clock', topic: 'clock', currentVersion: 1 },
  'catalog.cohort_settings_changed': { source: 'catalog', topic: 'catalog', currentVersion: 1 },
};

export const isEventType = (value: unknown): value is EventType =>
  typeof value === 'string' && Object.prototype.hasOwnProperty.call(EVENT_TYPES, value);

/** Who and when, for an event: everything of the envelope but the body. */
export interface EventMetadata {
  readonly eventId: string;
  readonly tenantId: string;
  readonly source: EventSource;
  /** The version the record was written with (data has been upcast to the current one). */
  readonly schemaVersion: number;
  readonly receivedAt: string;
  readonly occurredAt: string;
  readonly customerId: string | null;
  readonly idempotencyKey: string | null;
  readonly producer: string;
  /** Where the record sits in the log. Absent before it is published. */
  readonly position?: LogPosition;
}

export interface LogPosition {
  readonly topic: string;
  readonly partition: number;
  /** Kafka offsets are int64; kept as a decimal string. */
  readonly offset: string;
}

/** A domain event: a discriminated union on `type`, with data always in the current version's shape. */
export type DomainEvent<T extends EventType = EventType> = {
  [K in T]: { readonly type: K; readonly data: EventDataMap[K]; readonly metadata: EventMetadata };
}[T];
