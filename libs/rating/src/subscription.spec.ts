import type { ValuedRevenueData } from '@revstream/events';
import { emptyTerms, mergeSubscription, scheduleOf, type SubscriptionSnapshot, subscriptionSnapshotOf, type SubscriptionTerms } from './subscription';

/** The seed's "Subscription with subscription items" body (Valued, seed 003). */
const seedBody: ValuedRevenueData = {
  category: 'revenue',
  customer: { id: 'valued-cus-312' },
  subscription: { source_key: 'sub-321', started_at: 1655384214, status: 'active', currency: 'USD' },
  subscription_items: [
    {
      source_key: 'sub-item-1',
      quantity: 2,
      plan: {
        source_key: 'plan-999-monthly',
        name: 'Solo Plan',
        price: { source_key: 'price-999-monthly', name: '9.99 / month', interval: 'month', interval_count: 12, type: 'recurring', billing_scheme: 'per_unit', currency: 'USD', unit_amount: 999, active: true },
      },
    },
  ],
};

const fold = (snapshots: SubscriptionSnapshot[]): SubscriptionTerms => snapshots.reduce(mergeSubscription, emptyTerms('sub-321'));

describe('subscriptions: the billing cycle', () => {
  it('given the seed body, then the cycle starts at started_at and renews every interval_count intervals (12 months here)', () => {
    expect(subscriptionSnapshotOf(seedBody, 'v1')).toEqual({
      key: 'sub-321',
      version: 'v1',
      startedAt: 1655384214000,
      endedAt: undefined,
      cycle: { interval: 'month', count: 12 },
    });
  });

  it('given snapshots in any order, then each field is the one of the latest snapshot that carried it', () => {
    const created = subscriptionSnapshotOf(seedBody, '2022-06-16|a')!;
    // An invoice event repeats the subscription without items: it says nothing about the interval.
    const invoice = subscriptionSnapshotOf({ category: 'revenue', subscription: { source_key: 'sub-321', status: 'active', currency: 'USD' } }, '2022-07-16|b')!;
    const ended = subscriptionSnapshotOf({ ...seedBody, subscription: { ...seedBody.subscription!, status: 'canceled', ended_at: 1700000000 } }, '2023-11-14|c')!;
    const orders = [
      [created, invoice, ended],
      [ended, invoice, created],
      [invoice, ended, created],
      [created, ended, invoice, created],
    ];
    const results = orders.map(fold);
    for (const r of results) expect(r).toEqual(results[0]);
    expect(results[0]).toMatchObject({ startedAt: 1655384214000, endedAt: 1700000000000, interval: 'month', intervalCount: 12 });
  });

  it('given bad timestamps or intervals, then it refuses them with the field named', () => {
    expect(() => subscriptionSnapshotOf({ ...seedBody, subscription: { ...seedBody.subscription!, started_at: -1 } }, 'v')).toThrow(/subscription.started_at: must be Unix seconds/);
    const badCount = structuredClone(seedBody);
    badCount.subscription_items![0]!.plan!.price!.interval_count = 0;
    expect(() => subscriptionSnapshotOf(badCount, 'v')).toThrow(/interval_count: must be a whole number from 1 to 36/);
  });

  it('given several subscriptions, then the latest-started governs from its start and an ended one stops at its end', () => {
    const at = (iso: string): number => Date.parse(iso);
    const a: SubscriptionTerms = { ...emptyTerms('a'), startedAt: at('2026-01-10T00:00:00Z'), endedAt: at('2026-12-01T00:00:00Z'), interval: 'month', intervalCount: 1 };
    const b: SubscriptionTerms = { ...emptyTerms('b'), startedAt: at('2026-06-05T00:00:00Z'), endedAt: at('2026-09-01T00:00:00Z'), interval: 'week', intervalCount: 1 };
    const unknown: SubscriptionTerms = { ...emptyTerms('c'), startedAt: at('2026-03-01T00:00:00Z') };
    expect(scheduleOf([b, unknown, a])).toEqual([
      { start: at('2026-01-10T00:00:00Z'), end: at('2026-06-05T00:00:00Z'), cycle: { anchor: at('2026-01-10T00:00:00Z'), interval: 'month', count: 1 } },
      { start: at('2026-06-05T00:00:00Z'), end: at('2026-09-01T00:00:00Z'), cycle: { anchor: at('2026-06-05T00:00:00Z'), interval: 'week', count: 1 } },
    ]);
  });
});
