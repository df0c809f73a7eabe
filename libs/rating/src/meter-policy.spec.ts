import { createEnvelope, decodeEnvelope, type DomainEvent, encodeEnvelope, type EventDataMap, type EventType } from '@revstream/events';
import { addReading, EMPTY_AGGREGATE } from './aggregation';
import { decimalFromNumber, formatDecimal } from './decimal';
import { laterPolicy, type MeterPolicy, policiesOfValued, policyOfProduct, ratePeriod, samePricing } from './meter-policy';

let n = 0;
const event = <T extends EventType>(type: T, body: EventDataMap[T], occurredAt: string): DomainEvent<T> =>
  decodeEnvelope(
    encodeEnvelope(createEnvelope({ eventId: `evt-${++n}`, tenantId: 'tn_1', type, receivedAt: occurredAt, occurredAt, customerId: null, producer: 'test', body })).value,
  ) as DomainEvent<T>;

describe('meter policies: how each meter is aggregated and priced', () => {
  const registered = (unitAmount: number, at: string, aggregation: 'max' | null = null): MeterPolicy =>
    policyOfProduct(event('catalog.product_registered', { productId: 'prod_api', model: 'metered', eventName: 'api_calls', currency: 'USD', unitAmount, flatAmount: null, aggregation }, at));

  it('given product registrations read in any order, then the latest registration prices the meter', () => {
    const v1 = registered(2, '2026-05-01T00:00:00.000Z');
    const v2 = registered(3, '2026-06-01T00:00:00.000Z');
    expect(laterPolicy(laterPolicy(undefined, v1), v2)).toBe(v2);
    expect(laterPolicy(laterPolicy(undefined, v2), v1)).toBe(v2);
    expect(samePricing(v1, v2)).toBe(false);
    expect(samePricing(v2, { ...v2, version: 'other' })).toBe(true);
  });

  it('given a Valued body, then every price it carries (synced, plan, items) is a policy for the meter named by its key', () => {
    const policies = policiesOfValued(
      event(
        'valued.revenue',
        {
          category: 'revenue',
          price: { id: 'tokens', currency: 'USD', unit_amount: 4 },
          subscription_items: [
            { source_key: 'item-2', price: { source_key: 'seats', currency: 'USD', tiers: [{ up_to: 500, unit_amount: 399 }, { up_to: 399, unit_amount: 199 }] } },
            { source_key: 'item-1', plan: { price: { source_key: 'broken', currency: 'USD', tiers: [{ up_to: 5, unit_amount: 1 }, { up_to: 5, unit_amount: 2 }] } } },
          ],
        },
        '2026-05-01T00:00:00.000Z',
      ),
    );
    expect(policies.map((p) => [p.meter, p.price?.terms.scheme ?? null, p.problem])).toEqual([
      ['tokens', 'per_unit', null],
      ['broken', null, 'tiers: two tiers end at up_to 5'],
      ['seats', 'graduated', null],
    ]);
  });

  it('given a period, then its value follows the meter aggregation and the charge its price; without a price there is no charge', () => {
    const total = [5, 9, 2].reduce((a, v, i) => addReading(a, { value: decimalFromNumber(v), occurredAt: i, receivedAt: i, key: `k${i}` }), EMPTY_AGGREGATE);
    const onTime = addReading(EMPTY_AGGREGATE, { value: decimalFromNumber(5), occurredAt: 0, receivedAt: 0, key: 'k0' });
    const byMax = ratePeriod('counter', total, onTime, registered(10, '2026-05-01T00:00:00.000Z', 'max'));
    expect([byMax.aggregation, formatDecimal(byMax.value), byMax.charge, formatDecimal(byMax.onTimeValue), byMax.onTimeCharge]).toEqual([
      'max',
      '9',
      { currency: 'USD', amount: 90n },
      '5',
      { currency: 'USD', amount: 50n },
    ]);
    const gauge = ratePeriod('gauge', total, onTime, null);
    expect([gauge.aggregation, formatDecimal(gauge.value), gauge.charge]).toEqual(['latest', '2', null]);
    expect(formatDecimal(ratePeriod('counter', total, onTime, undefined).value)).toBe('16');
  });

  it('given a registration with an unknown aggregation, then it is refused', () => {
    expect(() => registered(1, '2026-05-01T00:00:00.000Z', 'median' as 'max')).toThrow('aggregation: must be one of sum, count, max, latest, got "median"');
  });
});
