import type { SubscriptionStatus } from '@revstream/events';

/**
 * Whether a subscription in this status counts towards MRR. active and past_due do (past_due is still
 * a paying customer whose card failed once); trialing, incomplete, incomplete_expired, paused,
 * canceled and unpaid count as 0. So "new" MRR appears when a trial turns active (the first paid
 * period), never when the trial starts.
 */
export function countsTowardMrr(status: SubscriptionStatus): boolean {
  switch (status) {
    case 'active':
    case 'past_due':
      return true;
    case 'trialing':
    case 'incomplete':
    case 'incomplete_expired':
    case 'paused':
    case 'canceled':
    case 'unpaid':
      return false;
  }
}
