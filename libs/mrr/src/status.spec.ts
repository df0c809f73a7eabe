import { SUBSCRIPTION_STATUSES } from '@revstream/events';
import { countsTowardMrr } from './status';

describe('MRR rules: status', () => {
  it('active and past_due count; every other status counts as 0', () => {
    expect(SUBSCRIPTION_STATUSES.filter(countsTowardMrr)).toEqual(['active', 'past_due']);
    expect(SUBSCRIPTION_STATUSES.filter((s) => !countsTowardMrr(s))).toEqual([
      'trialing', 'incomplete', 'incomplete_expired', 'paused', 'canceled', 'unpaid',
    ]);
  });
});
