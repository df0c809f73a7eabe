import type { JsonObject, PulsoraRevenueData } from '@revstream/events';
import { normalizeCurrency, toMinorUnits } from '@revstream/money';
import { MrrInputError } from './errors';
import { toMonthly } from './price';
import { rational, type Rational } from './rational';

/**
 * What one Pulsora revenue event does to MRR. Amounts are major units on the wire and become exact
 * minor units here (@revstream/money, never float arithmetic).
 *  - add: mrr_impact was given; it is authoritative: the subscription's MRR moves by it (never below 0);
 *  - set: no mrr_impact; the event says what the subscription pays now (amount per its interval);
 *  - clear: a churn naming no subscription and giving no mrr_impact: every Pulsora subscription of
 *    the customer in that currency goes to 0;
 *  - none: the event does not move MRR (refunds, one-off purchases).
 * `subscription` is customer_subscription_id, or null for "the customer's subscription" when absent.
 */
export type PulsoraEffect =
  | { readonly kind: 'add'; readonly subscription: string | null; readonly currency: string; readonly delta: Rational }
  | { readonly kind: 'set'; readonly subscription: string | null; readonly currency: string; readonly monthly: Rational }
  | { readonly kind: 'clear'; readonly currency: string }
  | { readonly kind: 'none'; readonly currency: string; readonly reason: string };

/** metadata.interval (Pulsora's convention: monthly, annual, …) to a price interval; absent or unknown is monthly. */
export function pulsoraInterval(metadata: JsonObject | null | undefined): { interval: 'day' | 'week' | 'month' | 'year'; count: number } {
  const raw = metadata?.interval;
  const value = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  switch (value) {
    case 'day':
    case 'daily':
      return { interval: 'day', count: 1 };
    case 'week':
    case 'weekly':
      return { interval: 'week', count: 1 };
    case 'quarter':
    case 'quarterly':
      return { interval: 'month', count: 3 };
    case 'year':
    case 'yearly':
    case 'annual':
    case 'annually':
      return { interval: 'year', count: 1 };
    default:
      return { interval: 'month', count: 1 };
  }
}

function minor(amount: unknown, currency: string, path: string): bigint {
  if (typeof amount !== 'number' || !Number.isFinite(amount)) throw new MrrInputError(path, `must be a number, got ${JSON.stringify(amount)}`);
  try {
    return BigInt(toMinorUnits(amount, currency));
  } catch (error) {
    throw new MrrInputError(path, error instanceof Error ? error.message : String(error));
  }
}

export function pulsoraEffect(data: PulsoraRevenueData): PulsoraEffect {
  let currency: string;
  try {
    currency = normalizeCurrency(data.currency ?? 'USD');
  } catch {
    throw new MrrInputError('currency', `must be an ISO 4217 code, got ${JSON.stringify(data.currency)}`);
  }
  const subscription = typeof data.customer_subscription_id === 'string' && data.customer_subscription_id.length > 0 ? data.customer_subscription_id : null;
  const eventType = data.event_type ?? null;

  // Refunds return money for a past payment; they never move MRR, even with an mrr_impact.
  if (eventType === 'refund') return { kind: 'none', currency, reason: 'refunds do not move MRR' };
  if (data.mrr_impact !== null && data.mrr_impact !== undefined) {
    return { kind: 'add', subscription, currency, delta: rational(minor(data.mrr_impact, currency, 'mrr_impact')) };
  }
  const amount = minor(data.amount, currency, 'amount');
  // The gateway accepts a negative amount on churn and refund (docs/gateway.md); a churn's amount does not matter here.
  if (amount < 0n && eventType !== 'churn') throw new MrrInputError('amount', 'must not be negative');
  const { interval, count } = pulsoraInterval(data.metadata);
  const monthly = toMonthly(amount, interval, count);
  switch (eventType) {
    case 'subscription':
    case 'renewal':
    case 'upgrade':
    case 'downgrade':
      return { kind: 'set', subscription, currency, monthly };
    case 'churn':
      return subscription === null ? { kind: 'clear', currency } : { kind: 'set', subscription, currency, monthly: rational(0n) };
    case 'purchase':
      return { kind: 'none', currency, reason: 'a purchase is one-off; send mrr_impact for a recurring add-on' };
    case null:
      return data.is_recurring === true ? { kind: 'set', subscription, currency, monthly } : { kind: 'none', currency, reason: 'no event_type, not recurring' };
  }
}
