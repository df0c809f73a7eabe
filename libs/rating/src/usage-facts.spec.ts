import { createEnvelope, decodeEnvelope, type DomainEvent, encodeEnvelope, type EventDataMap, type EventType } from '@revstream/events';
import { formatDecimal } from './decimal';
import { dedupKeyOf, type UsageEvent, usageFactsOf } from './usage-facts';

const event = <T extends EventType>(type: T, body: EventDataMap[T], customerId: string | null, idempotencyKey: string | null = null): DomainEvent<T> =>
  decodeEnvelope(
    encodeEnvelope(
      createEnvelope({ eventId: 'evt-1', tenantId: 'tn_1', type, receivedAt: '2026-05-29T15:00:01.000Z', occurredAt: '2026-05-29T15:00:00.000Z', customerId, idempotencyKey, producer: 'test', body }),
    ).value,
  ) as DomainEvent<T>;
const facts = (e: DomainEvent) => usageFactsOf(e as UsageEvent).map((f) => ({ customer: f.customerId, meter: f.meter, kind: f.kind, value: formatDecimal(f.value), key: f.key, sourceId: f.sourceId }));

describe('usage facts: what each source event reads as', () => {
  it('given a Revnu usage report, then one counter reading of the product eventName for the Stripe customer', () => {
    expect(facts(event('revnu.usage', { productId: 'prod_1', stripeCustomerId: 'cus_1', value: 150, eventName: 'api_calls' }, 'cus_1'))).toEqual([
      { customer: 'cus_1', meter: 'api_calls', kind: 'counter', value: '150', key: 'event:evt-1', sourceId: undefined },
    ]);
  });

  it('given a Revnu value that is not a positive whole number, then the event is refused with the reason', () => {
    expect(() => facts(event('revnu.usage', { productId: 'p', stripeCustomerId: 'cus_1', value: 0.5, eventName: 'api_calls' }, 'cus_1'))).toThrow(
      'value: must be a positive whole number, got 0.5',
    );
  });

  it('given a Revenium event, then one reading per payload key (a metering element) for the subscriber, deduplicated by transactionId', () => {
    const e = event(
      'revenium.meter',
      { transactionId: 'txn-9', payload: { storageGB: 15.5, apiCalls: 1250, computeMinutes: 480 }, sourceId: 'src_1', subscriberCredential: 'cus_9', sourceType: 'SDK_JS' },
      'cus_9',
      'txn-9',
    );
    expect(facts(e)).toEqual([
      { customer: 'cus_9', meter: 'apiCalls', kind: 'counter', value: '1250', key: 'revenium:txn-9', sourceId: 'src_1' },
      { customer: 'cus_9', meter: 'computeMinutes', kind: 'counter', value: '480', key: 'revenium:txn-9', sourceId: 'src_1' },
      { customer: 'cus_9', meter: 'storageGB', kind: 'counter', value: '15.5', key: 'revenium:txn-9', sourceId: 'src_1' },
    ]);
    expect(dedupKeyOf(e)).toBe('revenium:txn-9');
  });

  it('given a Revenium payload value that is not a number, then the event is refused naming the key', () => {
    const e = event('revenium.meter', { transactionId: 't', payload: { tokens: 'many' as unknown as number }, sourceId: null, subscriberCredential: null, sourceType: 'UNKNOWN' }, null, 't');
    expect(() => facts(e)).toThrow('payload.tokens: must be a finite number, got "many"');
  });

  it('given Revenue Linter usage/limit pairs, then gauges named by metric or unit, else by the pair, with the limit beside each', () => {
    const revlint = (properties: Record<string, string | number>) =>
      facts(event('revlint.product_event', { externalUserId: 'u', stripeCustomerId: 'cus_1', type: 'API_LIMIT_USED', occurredAt: '2026-05-29T15:00:00.000Z', properties }, 'cus_1'));
    expect(revlint({ usage: 91000, limit: 100000, metric: 'api_requests' }).map((f) => [f.meter, f.kind, f.value])).toEqual([
      ['revlint:api_requests', 'gauge', '91000'],
      ['revlint:api_requests:limit', 'gauge', '100000'],
    ]);
    expect(revlint({ currentUsage: 5, usageLimit: 10, unit: 'api_calls' }).map((f) => f.meter)).toEqual(['revlint:api_calls', 'revlint:api_calls:limit']);
    expect(revlint({ seatsUsed: 9, seatLimit: 10, metric: 'api_requests', usage: 1, limit: 2 }).map((f) => f.meter)).toEqual([
      'revlint:api_requests',
      'revlint:api_requests:limit',
      'revlint:seats',
      'revlint:seats:limit',
    ]);
    expect(revlint({ quantity: 3, max: 5 }).map((f) => f.meter)).toEqual(['revlint:quantity', 'revlint:quantity:limit']);
    expect(revlint({ feature: 'audit_export', quantity: 3 })).toEqual([]);
    expect(() => revlint({ usage: 'high', limit: 10 })).toThrow('properties.usage: must be a finite number, got "high"');
  });
});
