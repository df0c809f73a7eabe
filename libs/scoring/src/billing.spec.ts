import type { ValuedPrice } from '@revstream/events';
import { billingAt, billingTimeline, type PulsoraFact, pulsoraEffect, type SubscriptionFacts, valuedItems, valuedPlanSync } from './billing';

const price = (p: Partial<ValuedPrice>): ValuedPrice => ({ currency: 'USD', interval: 'month', interval_count: 1, type: 'recurring', unit_amount: 1000, ...p });

describe('billing (minimal; to converge with libs/mrr): what an account pays for, and on which plan', () => {
  it('values items: unit price times quantity, normalized to a month; plans by their price for one unit', () => {
    const { items, plans } = valuedItems([
      { source_key: 'i1', quantity: 3, plan: { source_key: 'team', name: 'Team', price: price({ unit_amount: 1200 }) } },
      { source_key: 'i2', quantity: 1, price: price({ plan: 'annual', unit_amount: 12000, interval: 'year' }) },
      { source_key: 'i3', quantity: 1000, price: price({ usage_type: 'metered', plan: 'api' }) },
    ]);
    expect(items).toEqual([
      { plan: 'team', currency: 'USD', mrr: 3600 },
      { plan: 'annual', currency: 'USD', mrr: 1000 },
      { plan: 'api', currency: 'USD', mrr: 0 },
    ]);
    expect(plans).toEqual([
      { plan: 'team', currency: 'USD', monthlyPrice: 1200, active: true, name: 'Team' },
      { plan: 'annual', currency: 'USD', monthlyPrice: 1000, active: true, name: null },
    ]);
  });

  it('values tiered prices (graduated by default, volume when said), in any tier order', () => {
    const tiers = [
      { unit_amount: 200, flat_amount: 0, up_to: null },
      { unit_amount: 500, flat_amount: 1000, up_to: 10 },
    ];
    expect(valuedItems([{ source_key: 'g', quantity: 12, price: price({ plan: 'g', unit_amount: null, tiers }) }]).items[0]!.mrr).toBe(1000 + 10 * 500 + 2 * 200);
    expect(valuedItems([{ source_key: 'v', quantity: 12, price: price({ plan: 'v', unit_amount: null, tiers, tiers_mode: 'volume' }) }]).items[0]!.mrr).toBe(12 * 200);
  });

  it('refuses a recurring price it cannot value, naming where', () => {
    expect(() => valuedItems([{ source_key: 'x', price: price({ unit_amount: null }) }])).toThrow('subscription_items[0].price.unit_amount: a recurring licensed price needs unit_amount or tiers');
    expect(() => valuedItems([{ source_key: 'x', quantity: 1.5, price: price({}) }])).toThrow(/subscription_items\[0\]\.quantity/);
  });

  it('reads plan and price syncs (seed 003: plan.id names the plan)', () => {
    expect(valuedPlanSync({ plan: { id: 'plan-399', name: 'Plus', active: true }, price: price({ id: 'price-399', plan: 'solo-plan-plus', unit_amount: 399 }) })).toEqual([
      { plan: 'plan-399', currency: 'USD', monthlyPrice: 399, active: true, name: 'Plus' },
    ]);
  });

  it('reads Pulsora revenue as libs/mrr does: mrr_impact adds, subscriptions set per interval, churn clears, refunds never move MRR', () => {
    const base = { visitor_fingerprint: 'f', session_id: 's', customer_id: 'c', transaction_id: 't', currency: 'USD' };
    expect(pulsoraEffect({ ...base, amount: 120, event_type: 'subscription', metadata: { plan: 'pro', interval: 'annual' } })).toEqual({ kind: 'set', subscription: null, currency: 'USD', amount: 1000, plan: 'pro' });
    expect(pulsoraEffect({ ...base, amount: 10, mrr_impact: -4.5, event_type: 'downgrade' })).toMatchObject({ kind: 'add', amount: -450 });
    expect(pulsoraEffect({ ...base, amount: 10, event_type: 'churn' })).toMatchObject({ kind: 'clear' });
    expect(pulsoraEffect({ ...base, amount: 10, mrr_impact: -10, event_type: 'refund' })).toMatchObject({ kind: 'none' });
    expect(() => pulsoraEffect({ ...base, amount: 1.005, event_type: 'subscription' })).toThrow(/amount: .*more than 2 decimal places/);
  });

  describe('the billing timeline', () => {
    const sub = (status: SubscriptionFacts['status'], items: SubscriptionFacts['items']): SubscriptionFacts => ({ status, items });
    const starter = [{ plan: 'starter', currency: 'USD', mrr: 1000 }];

    it('is paying only when active or past_due with MRR above 0', () => {
      const t = billingTimeline(
        {
          a: sub(
            [
              { at: 10, id: 'a1', status: 'trialing', currency: 'USD' },
              { at: 20, id: 'a2', status: 'active', currency: 'USD' },
              { at: 30, id: 'a3', status: 'past_due', currency: 'USD' },
              { at: 40, id: 'a4', status: 'canceled', currency: 'USD' },
            ],
            [{ at: 10, id: 'a1', items: starter }],
          ),
        },
        [],
      );
      expect([5, 15, 25, 35, 45].map((at) => billingAt(t, at).paying)).toEqual([false, false, true, true, false]);
      expect(billingAt(t, 35)).toEqual({ paying: true, status: 'past_due', plan: 'starter', currency: 'USD', mrr: 1000 });
      expect(billingAt(t, 45)).toEqual({ paying: false, status: 'canceled', plan: null, currency: null, mrr: 0 });
    });

    it('is not paying when active with MRR 0 (only metered items)', () => {
      const t = billingTimeline({ a: sub([{ at: 1, id: 'x', status: 'active', currency: 'USD' }], [{ at: 1, id: 'x', items: [{ plan: 'api', currency: 'USD', mrr: 0 }] }]) }, []);
      expect(billingAt(t, 2).paying).toBe(false);
    });

    it('keeps items across status-only snapshots, and puts late facts where they belong in time', () => {
      const statuses = [
        { at: 10, id: 's1', status: 'active' as const, currency: 'USD' },
        { at: 30, id: 's3', status: 'active' as const, currency: 'USD' },
      ];
      const items = [
        { at: 10, id: 's1', items: starter },
        { at: 20, id: 's2', items: [{ plan: 'pro', currency: 'USD', mrr: 5000 }] },
      ];
      const t = billingTimeline({ a: sub(statuses, items) }, []);
      expect([15, 25, 35].map((at) => billingAt(t, at).plan)).toEqual(['starter', 'pro', 'pro']);
    });

    it('picks the paying subscription with the highest MRR, and folds Pulsora effects in event time', () => {
      const pulsora: PulsoraFact[] = [
        { at: 10, id: 'p1', kind: 'set', subscription: null, currency: 'USD', amount: 2000, plan: 'growth' },
        { at: 20, id: 'p2', kind: 'add', subscription: null, currency: 'USD', amount: -2500, plan: null },
      ];
      const t = billingTimeline({ a: sub([{ at: 5, id: 'v', status: 'active', currency: 'USD' }], [{ at: 5, id: 'v', items: starter }]) }, pulsora);
      expect(billingAt(t, 15)).toMatchObject({ paying: true, plan: 'growth', mrr: 2000 });
      expect(billingAt(t, 25)).toMatchObject({ paying: true, plan: 'starter', mrr: 1000 });
    });
  });
});
