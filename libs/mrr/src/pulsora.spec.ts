import type { PulsoraRevenueData } from '@revstream/events';
import { pulsoraEffect } from './pulsora';
import { rational } from './rational';

const base: PulsoraRevenueData = {
  visitor_fingerprint: 'fp', session_id: 's', customer_id: 'cus_42', amount: 100, currency: 'USD', transaction_id: 'ch_1',
};

describe('MRR rules: Pulsora revenue events', () => {
  it('mrr_impact is authoritative when given, in exact minor units', () => {
    expect(pulsoraEffect({ ...base, event_type: 'upgrade', amount: 499.99, mrr_impact: 150.5, customer_subscription_id: 'sub_1' })).toEqual({
      kind: 'add', subscription: 'sub_1', currency: 'USD', delta: rational(15_050n),
    });
    expect(pulsoraEffect({ ...base, event_type: 'churn', mrr_impact: -100 })).toEqual({ kind: 'add', subscription: null, currency: 'USD', delta: rational(-10_000n) });
    expect(pulsoraEffect({ ...base, event_type: 'purchase', mrr_impact: 20, currency: 'JPY' })).toMatchObject({ kind: 'add', delta: rational(20n) });
  });

  it('without mrr_impact, subscription/renewal/upgrade/downgrade say what the subscription pays now, per metadata.interval', () => {
    for (const event_type of ['subscription', 'renewal', 'upgrade', 'downgrade'] as const) {
      expect(pulsoraEffect({ ...base, event_type, amount: 49.99 })).toEqual({ kind: 'set', subscription: null, currency: 'USD', monthly: rational(4_999n) });
    }
    expect(pulsoraEffect({ ...base, event_type: 'subscription', amount: 1200, metadata: { interval: 'annual' } })).toMatchObject({ monthly: rational(10_000n) });
    expect(pulsoraEffect({ ...base, event_type: 'renewal', amount: 300, metadata: { interval: 'Quarterly' } })).toMatchObject({ monthly: rational(10_000n) });
    expect(pulsoraEffect({ ...base, event_type: 'renewal', amount: 10, metadata: { interval: 'weekly' } })).toMatchObject({ monthly: rational(52_000n, 12n) });
  });

  it('churn without mrr_impact ends the named subscription, or every Pulsora subscription of the customer in the currency', () => {
    expect(pulsoraEffect({ ...base, event_type: 'churn', customer_subscription_id: 'sub_1' })).toEqual({ kind: 'set', subscription: 'sub_1', currency: 'USD', monthly: rational(0n) });
    expect(pulsoraEffect({ ...base, event_type: 'churn', currency: 'eur' })).toEqual({ kind: 'clear', currency: 'EUR' });
    // The gateway accepts churn (and refund) with a negative amount: the sign does not change the effect.
    expect(pulsoraEffect({ ...base, event_type: 'churn', amount: -49.99, customer_subscription_id: 'sub_1' })).toEqual({ kind: 'set', subscription: 'sub_1', currency: 'USD', monthly: rational(0n) });
  });

  it('refunds never move MRR, even with an mrr_impact; one-off purchases do not either', () => {
    expect(pulsoraEffect({ ...base, event_type: 'refund', mrr_impact: -50 })).toMatchObject({ kind: 'none' });
    expect(pulsoraEffect({ ...base, event_type: 'purchase' })).toMatchObject({ kind: 'none' });
    expect(pulsoraEffect({ ...base })).toMatchObject({ kind: 'none' });
    expect(pulsoraEffect({ ...base, is_recurring: true })).toMatchObject({ kind: 'set', monthly: rational(10_000n) });
  });

  it('refuses amounts the currency cannot hold', () => {
    expect(() => pulsoraEffect({ ...base, event_type: 'subscription', amount: 1.005 })).toThrow(/amount: .*more than 2 decimal places/);
    expect(() => pulsoraEffect({ ...base, event_type: 'subscription', amount: 10.5, currency: 'JPY' })).toThrow(/amount/);
  });
});
