import stableStringify from 'safe-stable-stringify';
import { type DomainEvent, METER_AGGREGATIONS, type MeterAggregation, type ValuedPrice } from '@revstream/events';
import { aggregateValue, defaultAggregation, type MeterKind, type UsageAggregate } from './aggregation';
import type { Decimal } from './decimal';
import { RatingInputError } from './errors';
import { type MeterPrice, priceOfProduct, priceOfValued, valuedPriceKey } from './pricing';
import { type Charge, rate } from './rating';
import { itemPrice } from './subscription';
import { meterName } from './usage-facts';

/**
 * How a tenant's meter is aggregated and priced. A meter takes its policy from the latest price
 * definition that names it, whatever its source (last writer wins, by version):
 *  - a Revnu product (`catalog.product_registered`) names the meter of its eventName;
 *  - a Valued price names the meter equal to its key (`id`, or `source_key` when inline on an item).
 * A definition that cannot price (a tier list with two equal bounds) is kept with its problem, and
 * the meter's periods are left unpriced until a usable definition replaces it.
 */
export interface MeterPolicy {
  readonly tenantId: string;
  readonly meter: string;
  /** Orders definitions: event time, receipt time, event id. */
  readonly version: string;
  readonly source: 'revnu' | 'valued';
  /** The Revnu product id or the Valued price key. */
  readonly ref: string;
  /** null: the meter kind's default (sum for counters, latest for gauges). */
  readonly aggregation: MeterAggregation | null;
  readonly price: MeterPrice | null;
  readonly problem: string | null;
}

const iso = (instant: string): string => new Date(instant).toISOString();

/** A total order of events that is the same on every replay: event time, receipt time, event id. */
export const eventVersion = (event: DomainEvent): string =>
  `${iso(event.metadata.occurredAt)}|${iso(event.metadata.receivedAt)}|${event.metadata.eventId}`;

/** The policy a Revnu product registration gives its meter. */
export function policyOfProduct(event: DomainEvent<'catalog.product_registered'>): MeterPolicy {
  const d = event.data;
  if (typeof d.productId !== 'string' || d.productId.length === 0) throw new RatingInputError('productId: must be a non-empty string');
  if (d.model !== 'flat' && d.model !== 'metered' && d.model !== 'hybrid') throw new RatingInputError(`model: must be flat, metered or hybrid, got ${JSON.stringify(d.model)}`);
  const aggregation = d.aggregation ?? null;
  if (aggregation !== null && !METER_AGGREGATIONS.includes(aggregation)) {
    throw new RatingInputError(`aggregation: must be one of ${METER_AGGREGATIONS.join(', ')}, got ${JSON.stringify(aggregation)}`);
  }
  const outcome = priceOfProduct(d);
  return {
    tenantId: event.metadata.tenantId,
    meter: meterName(d.eventName, 'eventName'),
    version: eventVersion(event),
    source: 'revnu',
    ref: d.productId,
    aggregation,
    price: outcome.ok ? outcome.price : null,
    problem: outcome.ok ? null : outcome.problem,
  };
}

/** The prices a Valued revenue body defines: the synced price, the plan's, and every item's. */
export function policiesOfValued(event: DomainEvent<'valued.revenue'>): MeterPolicy[] {
  const d = event.data;
  const items = [...(d.subscription_items ?? [])].sort((a, b) => (a.source_key < b.source_key ? -1 : a.source_key > b.source_key ? 1 : 0));
  const prices: ValuedPrice[] = [d.price, d.plan?.price, ...items.map(itemPrice)].filter((p): p is ValuedPrice => p !== null && p !== undefined);
  const byKey = new Map<string, MeterPolicy>();
  for (const price of prices) {
    const key = valuedPriceKey(price);
    if (key === null || byKey.has(key)) continue;
    const outcome = priceOfValued(price);
    byKey.set(key, {
      tenantId: event.metadata.tenantId,
      meter: key,
      version: eventVersion(event),
      source: 'valued',
      ref: key,
      aggregation: null,
      price: outcome.ok ? outcome.price : null,
      problem: outcome.ok ? null : outcome.problem,
    });
  }
  return [...byKey.values()];
}

/** Last writer wins: the later version, whatever order the two were read in. */
export const laterPolicy = (a: MeterPolicy | undefined, b: MeterPolicy): MeterPolicy => (a === undefined || b.version > a.version ? b : a);

/** Whether two policies rate alike (versions aside): if so, nothing needs re-rating. */
export const samePricing = (a: MeterPolicy | undefined, b: MeterPolicy | undefined): boolean =>
  stableStringify(a ? [a.aggregation, a.price, a.problem] : null) === stableStringify(b ? [b.aggregation, b.price, b.problem] : null);

export interface RatedPeriod {
  readonly aggregation: MeterAggregation;
  readonly value: Decimal;
  /** null when the meter has no usable price. */
  readonly charge: Charge | null;
  /** The same, counting only the events that arrived before the period closed: what was invoiced. */
  readonly onTimeValue: Decimal;
  readonly onTimeCharge: Charge | null;
}

/** A period's value and charge under the meter's policy (none: the default aggregation, no charge). */
export function ratePeriod(kind: MeterKind, total: UsageAggregate, onTime: UsageAggregate, policy: MeterPolicy | null | undefined): RatedPeriod {
  const aggregation = policy?.aggregation ?? defaultAggregation(kind);
  const value = aggregateValue(total, aggregation);
  const onTimeValue = aggregateValue(onTime, aggregation);
  const price = policy?.price ?? null;
  return {
    aggregation,
    value,
    charge: price ? rate(price, value) : null,
    onTimeValue,
    onTimeCharge: price ? rate(price, onTimeValue) : null,
  };
}
