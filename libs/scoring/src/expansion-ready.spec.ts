import { scoreTenant, type Membership } from './score-tenant';
import { type CohortEvent, emptyTenantFacts, recordEvent } from './tenant-facts';
import { limitReport, may, pageview, planItem, planSync, plus, premiumUse, productEvent, pulsoraRevenue, settingsChanged, tick, valuedSnapshot } from './testing/cohort-events';

const score = (events: CohortEvent[]) => scoreTenant(events.reduce(recordEvent, emptyTenantFacts()));
const expansion = (events: CohortEvent[]): Membership[] => score(events).memberships.filter((m) => m.cohort === 'expansion_ready');
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const rows = (events: CohortEvent[]) => expansion(events).map((m) => ({ customerId: m.customerId, since: iso(m.enteredAt), until: iso(m.exitedAt), score: m.score, reasons: m.reasons.map((r) => r.code) }));

/** A ladder of starter (10 USD), team (50 USD) and pro (100 USD, the top plan). */
const ladder = [planSync('starter', 1000, may(1)), planSync('team', 5000, may(1)), planSync('pro', 10000, may(1))];
const on = (customer: string, plan: string, price: number, at = may(1)): CohortEvent => valuedSnapshot(customer, at, 'active', [planItem(plan, price)]);

describe('expansion-ready: a paying account on a lower tier that pushes against its plan', () => {
  describe('usage at or above 80% of a reported limit, within the lookback window', () => {
    it('given exactly 80%, then it is expansion-ready from the report on; at 79.99% it is not', () => {
      expect(rows([...ladder, on('cus_a', 'starter', 1000), limitReport('cus_a', may(10), 80, 100), tick(may(11))])).toEqual([
        { customerId: 'cus_a', since: may(10), until: null, score: 80, reasons: ['paying_on_lower_tier', 'usage_limit'] },
      ]);
      expect(rows([...ladder, on('cus_a', 'starter', 1000), limitReport('cus_a', may(10), 7999, 10000), tick(may(11))])).toEqual([]);
    });

    it.each([
      ['usage', 'limit'],
      ['currentUsage', 'usageLimit'],
      ['seatsUsed', 'seatLimit'],
      ['quantity', 'max'],
    ])('reads the %s/%s pair, with its evidence', (usageKey, limitKey) => {
      const report = productEvent('cus_a', may(10), 'SEAT_LIMIT_USED', { [usageKey]: 9, [limitKey]: 10 }, { eventId: 'evt-limit' });
      const [m] = expansion([...ladder, on('cus_a', 'team', 5000), report, tick(may(11))]);
      expect(m!.score).toBe(90);
      expect(m!.reasons[1]).toEqual({
        code: 'usage_limit',
        detail: `${usageKey} 9 of ${limitKey} 10 (90%) at ${may(10)}, threshold 80% within 30 days`,
        evidence: { eventId: 'evt-limit', occurredAt: may(10), usage: 9, limit: 10, usageKey, limitKey, ratio: 0.9, thresholdPercent: 80, lookbackDays: 30 },
      });
      expect(m!.reasons[0]!.evidence).toEqual({ status: 'active', mrr: 5000, currency: 'USD', plan: 'team', planMonthlyPrice: 5000, topPlans: ['pro'], topMonthlyPrice: 10000 });
    });

    it('given a report, then it counts for the lookback window (30 days) and not a millisecond more', () => {
      const events = [...ladder, on('cus_a', 'starter', 1000), limitReport('cus_a', may(1), 95, 100)];
      expect(rows([...events, tick(plus(may(31), 0, -1))])).toHaveLength(1);
      expect(rows([...events, tick(may(31))])).toEqual([{ customerId: 'cus_a', since: may(1), until: may(31), score: 95, reasons: ['paying_on_lower_tier', 'usage_limit'] }]);
    });

    it('uses the tenant’s threshold and lookback', () => {
      const events = [...ladder, on('cus_a', 'starter', 1000), limitReport('cus_a', may(1), 70, 100), settingsChanged({ limitThresholdPercent: 70, lookbackDays: 7 }, may(1))];
      expect(rows([...events, tick(may(5))])).toHaveLength(1);
      expect(rows([...events, tick(may(9))])).toEqual([{ customerId: 'cus_a', since: may(1), until: may(8), score: 70, reasons: ['paying_on_lower_tier', 'usage_limit'] }]);
    });
  });

  describe('on a lower tier only', () => {
    it('given an account on the top plan, then it is never expansion-ready', () => {
      expect(rows([...ladder, on('cus_a', 'pro', 10000), limitReport('cus_a', may(10), 100, 100), premiumUse('cus_a', may(10)), tick(may(11))])).toEqual([]);
    });

    it('given a new top plan appears, then the old top plan is a lower tier', () => {
      const events = [planSync('pro', 10000, may(1)), on('cus_a', 'pro', 10000), limitReport('cus_a', may(10), 100, 100), tick(may(11))];
      expect(rows(events)).toEqual([]);
      expect(rows([...events, planSync('enterprise', 50000, may(12))])).toHaveLength(1);
    });

    it('given an account that does not pay (trialing), or whose plan has no known price, then it is not expansion-ready', () => {
      expect(rows([...ladder, valuedSnapshot('cus_a', may(1), 'trialing', [planItem('starter', 1000)]), limitReport('cus_a', may(10), 100, 100), tick(may(11))])).toEqual([]);
      const unknownPlan = valuedSnapshot('cus_b', may(1), 'active', [{ source_key: 'x', price: { currency: 'USD', unit_amount: null, usage_type: 'metered', interval: 'month' } }]);
      expect(rows([...ladder, unknownPlan, limitReport('cus_b', may(10), 100, 100), tick(may(11))])).toEqual([]);
    });

    it('ends the membership when the account upgrades to the top plan', () => {
      const events = [...ladder, on('cus_a', 'starter', 1000), limitReport('cus_a', may(10), 90, 100), on('cus_a', 'pro', 10000, may(12)), tick(may(13))];
      expect(rows(events)).toEqual([{ customerId: 'cus_a', since: may(10), until: may(12), score: 90, reasons: ['paying_on_lower_tier', 'usage_limit'] }]);
    });

    it('reads plans and MRR from Pulsora too', () => {
      const events = [pulsoraRevenue('cus_p', may(1), { amount: 99, metadata: { plan: 'pro' } }), pulsoraRevenue('cus_q', may(1), { amount: 19, metadata: { plan: 'basic' } }), premiumUse('cus_q', may(3)), tick(may(4))];
      expect(rows(events)).toEqual([{ customerId: 'cus_q', since: may(3), until: null, score: 80, reasons: ['paying_on_lower_tier', 'premium_feature'] }]);
    });
  });

  describe('premium features used on a lower plan', () => {
    it('given PREMIUM_FEATURE_USED on a lower plan, then it is expansion-ready for the lookback window, with the event as evidence', () => {
      const [m] = expansion([...ladder, on('cus_a', 'starter', 1000), premiumUse('cus_a', may(5), 'audit_export', { eventId: 'evt-premium' }), tick(may(6))]);
      expect(m).toMatchObject({ customerId: 'cus_a', enteredAt: Date.parse(may(5)), exitedAt: null, score: 80 });
      expect(m!.reasons[1]).toEqual({
        code: 'premium_feature',
        detail: `PREMIUM_FEATURE_USED (audit_export) at ${may(5)} on starter, within 30 days`,
        evidence: { eventId: 'evt-premium', occurredAt: may(5), feature: 'audit_export', eventPlan: 'starter', lookbackDays: 30 },
      });
    });

    it('given premium use, then it counts for the lookback window and not a millisecond more', () => {
      const events = [...ladder, on('cus_a', 'starter', 1000), premiumUse('cus_a', may(5))];
      expect(rows([...events, tick(plus(may(5), 30, -1))])).toHaveLength(1);
      expect(rows([...events, tick(plus(may(5), 30))])).toEqual([{ customerId: 'cus_a', since: may(5), until: plus(may(5), 30), score: 80, reasons: ['paying_on_lower_tier', 'premium_feature'] }]);
    });

    it('given premium use on the top plan, then it is not a signal', () => {
      expect(rows([...ladder, on('cus_a', 'pro', 10000), premiumUse('cus_a', may(5)), tick(may(6))])).toEqual([]);
    });

    it('given premium use before the account paid for a lower plan, then it counts from the start of that plan', () => {
      expect(rows([...ladder, premiumUse('cus_a', may(2)), on('cus_a', 'starter', 1000, may(4)), tick(may(5))])).toEqual([
        { customerId: 'cus_a', since: may(4), until: null, score: 80, reasons: ['paying_on_lower_tier', 'premium_feature'] },
      ]);
    });
  });

  describe('recent usage is high: active hours over 7 days at or above the 90th percentile of paying accounts on the same plan', () => {
    /** Ten accounts on starter; cus_0 active `busy` hours a day for a week, the others `quiet` hours a day. */
    const week = (busy: number, quiet: number, peers = 10): CohortEvent[] => {
      const out: CohortEvent[] = [...ladder];
      for (let i = 0; i < peers; i++) {
        const customer = `cus_${i}`;
        out.push(on(customer, 'starter', 1000));
        const hours = i === 0 ? busy : quiet;
        for (let d = 1; d <= 7; d++) for (let h = 0; h < hours; h++) out.push(pageview(customer, may(d, `${String(h).padStart(2, '0')}:15:00.000`)));
      }
      return out;
    };

    it('given one account far busier than its peers, then it is high usage from the day after its first busy day, with the percentile as evidence', () => {
      const [m, ...rest] = expansion([...week(8, 1), tick(may(8, '12:00:00.000'))]);
      expect(rest).toEqual([]);
      expect(m).toMatchObject({ customerId: 'cus_0', enteredAt: Date.parse(may(2)), exitedAt: null, score: 100 });
      expect(m!.reasons[1]).toEqual({
        code: 'high_usage',
        detail: 'active 56 hours in the last 7 days, at or above the 90th percentile (11.9) of 10 paying accounts on starter',
        evidence: { activeHours: 56, windowDays: 7, percentile: 90, percentileValue: 11.9, peers: 10, rank: 100, minActiveHours: 1 },
      });
    });

    it('given the window has passed, then the membership ends (the window slides with the days)', () => {
      const events = [...week(8, 1), tick(may(20))];
      expect(rows(events).filter((r) => r.customerId === 'cus_0')).toEqual([{ customerId: 'cus_0', since: may(2), until: may(15), score: 100, reasons: ['paying_on_lower_tier', 'high_usage'] }]);
    });

    it('given everyone as busy, then no one stands out (usage must be above the median too)', () => {
      expect(expansion([...week(3, 3), tick(may(8, '01:00:00.000'))])).toEqual([]);
    });

    it('uses the tenant’s percentile, and "at or above" includes an account exactly at it', () => {
      // cus_i is active i+1 hours a day for a week: 7, 14, ..., 70 hours. 90th percentile: 63 + 0.1 x 7 = 63.7;
      // 80th: 56 + 0.2 x 7 = 57.4; 100th: exactly 70, which cus_9 reaches.
      const events: CohortEvent[] = [...ladder];
      for (let i = 0; i < 10; i++) {
        events.push(on(`cus_${i}`, 'starter', 1000));
        for (let d = 1; d <= 7; d++) for (let h = 0; h <= i; h++) events.push(pageview(`cus_${i}`, may(d, `${String(h).padStart(2, '0')}:00:00.000`)));
      }
      const who = (p: number) => expansion([...events, settingsChanged({ highUsagePercentile: p }, may(1)), tick(may(8))]).map((m) => m.customerId);
      expect(who(90)).toEqual(['cus_9']);
      expect(who(80)).toEqual(['cus_8', 'cus_9']);
      expect(who(100)).toEqual(['cus_9']);
      // 85th: 0.85 x 9 = 7.65 -> 56 + 0.65 x 7 = 60.55: cus_8 at 63 is above; cus_7 at 56 is not.
      expect(who(85)).toEqual(['cus_8', 'cus_9']);
    });

    it('given fewer paying accounts on the plan than highUsageMinPeers (5), then no one is high usage', () => {
      expect(expansion([...week(8, 1, 4), tick(may(8))])).toEqual([]);
      expect(expansion([...week(8, 1, 4), settingsChanged({ highUsageMinPeers: 4 }, may(1)), tick(may(8))])).toHaveLength(1);
    });

    it('given no activity at all, then no one is high usage (at least one active hour)', () => {
      expect(expansion([...week(0, 0), tick(may(9))])).toEqual([]);
    });

    it('uses the tenant’s minimum of active hours: 57 is one more than the busy account has', () => {
      expect(expansion([...week(8, 1), settingsChanged({ highUsageMinActiveHours: 56 }, may(1)), tick(may(8))]).map((m) => m.customerId)).toEqual(['cus_0']);
      expect(expansion([...week(8, 1), settingsChanged({ highUsageMinActiveHours: 57 }, may(1)), tick(may(8))])).toEqual([]);
    });

    it('uses the tenant’s window: over 2 days, the busy week counts until May 10', () => {
      const [m] = expansion([...week(8, 1), settingsChanged({ highUsageWindowDays: 2 }, may(1)), tick(may(20))]);
      expect(m).toMatchObject({ customerId: 'cus_0', enteredAt: Date.parse(may(2)), exitedAt: Date.parse(may(10)) });
      expect(m!.reasons[1]!.evidence).toMatchObject({ activeHours: 8, windowDays: 2 });
    });
  });

  it('scores the strongest reason and lists every reason that holds', () => {
    const [m] = expansion([...ladder, on('cus_a', 'starter', 1000), limitReport('cus_a', may(3), 85, 100), premiumUse('cus_a', may(4)), tick(may(5))]);
    expect(m!.score).toBe(85);
    expect(m!.reasons.map((r) => r.code)).toEqual(['paying_on_lower_tier', 'usage_limit', 'premium_feature']);
  });
});
