import fc from 'fast-check';
import { PoisonEventError } from '@revstream/events';
import { scoreTenant } from './score-tenant';
import { type CohortEvent, customerFactsOf, emptyTenantFacts, recordEvent, type TenantFacts } from './tenant-facts';
import { limitReport, may, pageview, planItem, planSync, plus, premiumUse, productEvent, pulsoraRevenue, settingsChanged, tick, valuedSnapshot } from './testing/cohort-events';

const fold = (events: readonly CohortEvent[], from: TenantFacts = emptyTenantFacts()): TenantFacts => events.reduce(recordEvent, from);

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** A month of a small tenant: a ladder, four accounts, product events, a limit, premium use, Pulsora, ticks. */
const story: CohortEvent[] = [
  planSync('starter', 1000, may(1)),
  planSync('pro', 10000, may(1)),
  valuedSnapshot('cus_a', may(1), 'active', [planItem('starter', 1000)]),
  valuedSnapshot('cus_b', may(1), 'active', [planItem('starter', 1000, 2)]),
  valuedSnapshot('cus_c', may(1), 'past_due', [planItem('pro', 10000)]),
  pulsoraRevenue('cus_d', may(2), { amount: 10, metadata: { plan: 'starter' } }),
  productEvent('cus_a', may(2)),
  productEvent('cus_b', may(3, '10:00:00.000')),
  pageview('cus_b', may(3, '11:00:00.000')),
  limitReport('cus_b', may(6), 91, 100),
  premiumUse('cus_d', may(7)),
  productEvent('cus_c', may(9)),
  tick(may(12)),
  valuedSnapshot('cus_b', may(14), 'canceled', null),
  settingsChanged({ silentWindowDays: 10 }, may(15)),
  tick(may(25)),
  pageview('cus_a', may(26)),
  tick(may(28)),
];

describe('scoring is deterministic: the same facts, whatever the order, the batches, or the repeats', () => {
  it('given the same events twice, then the state and the cohorts are the same as once', () => {
    const once = fold(story);
    expect(fold(story, once)).toEqual(once);
    expect(JSON.stringify(scoreTenant(fold([...story, ...story])))).toBe(JSON.stringify(scoreTenant(once)));
  });

  it('property: any permutation of the events gives byte-identical cohorts', () => {
    const expected = JSON.stringify(scoreTenant(fold(story)));
    fc.assert(
      fc.property(fc.shuffledSubarray(story, { minLength: story.length, maxLength: story.length }), (shuffled) => {
        expect(JSON.stringify(scoreTenant(fold(shuffled)))).toBe(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('never changes the state it is given (evolve is pure)', () => {
    const frozen = deepFreeze(fold(story.slice(0, 10)));
    expect(() => fold(story.slice(10), frozen)).not.toThrow();
  });

  it('given the story, then these are the cohorts', () => {
    const scores = scoreTenant(fold(story));
    expect(scores.evaluatedAt).toBe(Date.parse(may(28)));
    expect(scores.settings.silentWindowDays).toBe(10);
    expect(scores.memberships.map((m) => [m.cohort, m.customerId, new Date(m.enteredAt).toISOString(), m.exitedAt === null ? null : new Date(m.exitedAt).toISOString(), m.score])).toEqual([
      ['expansion_ready', 'cus_b', may(6), may(14), 91],
      ['expansion_ready', 'cus_d', may(7), null, 80],
      ['silent_churn', 'cus_a', may(12), may(26), 24],
      ['silent_churn', 'cus_c', may(19), null, 19],
      ['silent_churn', 'cus_d', may(17), null, 21],
    ]);
    expect(scores.plans.map((p) => [p.plan, p.monthlyPrice, p.top])).toEqual([
      ['pro', 10000, true],
      ['starter', 1000, false],
    ]);
    expect(scores.accounts.find((a) => a.customerId === 'cus_a')).toMatchObject({ lowerTier: true, lastActivityAt: Date.parse(may(26)), billing: { paying: true, plan: 'starter' } });
  });
});

describe('time is part of the log', () => {
  it('takes "now" from the latest clock tick or event receivedAt, never from the wall clock, and never backwards', () => {
    const s = fold([tick(may(10)), productEvent('cus_a', may(1), 'X', {}, { receivedAt: may(12) }), tick(may(11))]);
    expect(s.now).toBe(Date.parse(may(12)));
    expect(fold([tick(may(11)), tick(may(10))]).now).toBe(Date.parse(may(11)));
  });

  it('keeps an event that happened after "now" for when the clock reaches it', () => {
    const events = [valuedSnapshot('cus_a', may(1), 'active', [planItem('starter', 1000)]), productEvent('cus_a', may(1)), productEvent('cus_a', may(20), 'X', {}, { receivedAt: may(10) })];
    const atTick = (at: string) => scoreTenant(fold([...events, tick(at)])).memberships.map((m) => [m.enteredAt, m.exitedAt]);
    expect(atTick(may(16))).toEqual([[Date.parse(may(15)), null]]);
    expect(atTick(may(21))).toEqual([[Date.parse(may(15)), Date.parse(may(20))]]);
  });
});

describe('poison: events the rules cannot read are refused with the reason', () => {
  it('refuses invalid settings, naming the field', () => {
    expect(() => recordEvent(emptyTenantFacts(), settingsChanged({ silentWindowDays: 0 }, may(1)))).toThrow(PoisonEventError);
    expect(() => recordEvent(emptyTenantFacts(), settingsChanged({ silentWindowDays: 0 }, may(1)))).toThrow(/invalid_body: silentWindowDays: must be an integer from 1 to 365/);
  });

  it('refuses a Valued price without an amount, naming where', () => {
    const bad = valuedSnapshot('cus_a', may(1), 'active', [{ source_key: 'i', price: { currency: 'USD', interval: 'month', unit_amount: null } }]);
    expect(() => recordEvent(emptyTenantFacts(), bad)).toThrow('invalid_body: subscription_items[0].price.unit_amount: a recurring licensed price needs unit_amount or tiers');
  });

  it('ignores product events that name no customer, but lets them move the clock', () => {
    const anonymous = productEvent('x', may(3));
    const s = recordEvent(emptyTenantFacts(), { ...anonymous, metadata: { ...anonymous.metadata, customerId: null } } as CohortEvent);
    expect(s.customers).toEqual({});
    expect(s.now).toBe(Date.parse(may(3)));
  });

  it('counts a Pulsora transaction once, whatever event ids it arrives under', () => {
    const first = pulsoraRevenue('cus_a', may(1), { amount: 10, transaction_id: 'ch_1', mrr_impact: 10 });
    const retry = { ...first, metadata: { ...first.metadata, eventId: 'another-id' } } as CohortEvent;
    const s = fold([first, retry, tick(plus(may(1), 1))]);
    expect(Object.keys(customerFactsOf(s, 'cus_a')!.pulsora)).toEqual(['ch_1']);
    expect(scoreTenant(s).accounts[0]!.billing.mrr).toBe(1000);
  });
});
