import { scoreTenant, type Membership } from './score-tenant';
import { type CohortEvent, emptyTenantFacts, recordEvent } from './tenant-facts';
import { may, pageview, planItem, plus, productEvent, settingsChanged, tick, valuedSnapshot } from './testing/cohort-events';

const score = (events: CohortEvent[]) => scoreTenant(events.reduce(recordEvent, emptyTenantFacts()));
const silent = (events: CohortEvent[]): Membership[] => score(events).memberships.filter((m) => m.cohort === 'silent_churn');
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const rows = (events: CohortEvent[]) => silent(events).map((m) => ({ customerId: m.customerId, since: iso(m.enteredAt), until: iso(m.exitedAt), score: m.score }));

const paying = (customer: string, at = may(1)): CohortEvent => valuedSnapshot(customer, at, 'active', [planItem('starter', 1000)]);

describe('silent churn: billing active and no product event in the last 14 days', () => {
  it('given a paying account last seen on May 2, when the clock reaches exactly 14 days later, then it is silent since then', () => {
    const events = [paying('cus_a'), productEvent('cus_a', may(2))];
    expect(rows([...events, tick(plus(may(16), 0, -1))])).toEqual([]);
    expect(rows([...events, tick(may(16))])).toEqual([{ customerId: 'cus_a', since: may(16), until: null, score: 14 }]);
    expect(rows([...events, tick(may(20))])).toEqual([{ customerId: 'cus_a', since: may(16), until: null, score: 18 }]);
  });

  it('given a silent account, when any product event arrives, then it leaves the cohort, and the membership stays in history', () => {
    const events = [paying('cus_a'), productEvent('cus_a', may(2)), tick(may(20)), pageview('cus_a', may(21, '09:30:00.000'))];
    expect(rows(events)).toEqual([{ customerId: 'cus_a', since: may(16), until: may(21, '09:30:00.000'), score: 19 }]);
    const m = silent(events)[0]!;
    expect(m.reasons.map((r) => r.code)).toEqual(['billing_active', 'no_recent_activity']);
    expect(m.reasons[1]!.evidence).toMatchObject({ lastActivityAt: may(2), silentSince: may(2), daysSilent: 19, windowDays: 14 });
    expect(m.reasons[0]!.evidence).toEqual({ status: 'active', mrr: 1000, currency: 'USD', plan: 'starter' });
  });

  it('given an account silent twice, then both memberships are kept', () => {
    const events = [paying('cus_a'), productEvent('cus_a', may(1)), productEvent('cus_a', may(20)), tick(plus(may(20), 20))];
    expect(rows(events)).toEqual([
      { customerId: 'cus_a', since: may(15), until: may(20), score: 19 },
      { customerId: 'cus_a', since: plus(may(20), 14), until: null, score: 20 },
    ]);
  });

  it('counts a new account from the start of its billing, not from before it', () => {
    expect(rows([productEvent('cus_a', may(1)), paying('cus_a', may(10)), tick(may(24))])).toEqual([{ customerId: 'cus_a', since: may(24), until: null, score: 14 }]);
    const [m] = silent([paying('cus_b', may(10)), tick(may(24))]);
    expect(m!.reasons[1]!.evidence).toMatchObject({ lastActivityAt: null, silentSince: may(10) });
  });

  it('past_due counts as billing active; trialing, canceled, and MRR 0 do not; a cancellation ends the membership', () => {
    const at = tick(may(30));
    expect(rows([valuedSnapshot('cus_a', may(1), 'past_due', [planItem('starter', 1000)]), at])).toHaveLength(1);
    expect(rows([valuedSnapshot('cus_a', may(1), 'trialing', [planItem('starter', 1000)]), at])).toEqual([]);
    expect(rows([valuedSnapshot('cus_a', may(1), 'active', [planItem('free', 0)]), at])).toEqual([]);
    expect(rows([paying('cus_a'), valuedSnapshot('cus_a', may(20), 'canceled', null), at])).toEqual([{ customerId: 'cus_a', since: may(15), until: may(20), score: 19 }]);
  });

  it('uses the tenant’s window: 21 days', () => {
    const events = [paying('cus_a'), productEvent('cus_a', may(2)), settingsChanged({ silentWindowDays: 21 }, may(1)), tick(may(22))];
    expect(rows(events)).toEqual([]);
    expect(rows([...events, tick(may(23))])).toEqual([{ customerId: 'cus_a', since: may(23), until: null, score: 21 }]);
  });

  it('becomes silent with no event arriving: only the clock moves', () => {
    const facts = [paying('cus_a'), productEvent('cus_a', may(2))].reduce(recordEvent, emptyTenantFacts());
    expect(scoreTenant(facts).memberships).toEqual([]);
    expect(scoreTenant(recordEvent(facts, tick(may(17)))).memberships).toHaveLength(1);
  });

  it('joins product events sent with only the app user id into the Stripe customer they were seen with', () => {
    const events = [
      paying('cus_a'),
      productEvent('cus_a', may(2), 'LOGIN', {}, { externalUserId: 'user_a' }),
      productEvent('user_a', may(10), 'LOGIN', {}, { externalUserId: 'user_a' }),
      tick(may(20)),
    ];
    expect(rows(events)).toEqual([]);
    expect(score(events).accounts.map((a) => a.customerId)).toEqual(['cus_a']);
  });
});
