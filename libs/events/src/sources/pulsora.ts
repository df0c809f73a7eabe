import type { JsonObject } from '../json';

export type PulsoraRevenueEventType = 'purchase' | 'subscription' | 'renewal' | 'upgrade' | 'downgrade' | 'churn' | 'refund';
export const PULSORA_REVENUE_EVENT_TYPES: readonly PulsoraRevenueEventType[] = [
  'purchase', 'subscription', 'renewal', 'upgrade', 'downgrade', 'churn', 'refund',
];

/** The `data` of a `{type:"revenue"}` body (seed 001). `token` is never stored. */
export interface PulsoraRevenueData {
  visitor_fingerprint: string;
  session_id: string;
  customer_id: string;
  /** Major units, as sent (499.99 USD). Convert with @revstream/money, never with float arithmetic. */
  amount: number;
  /** ISO 4217, upper case; USD when the client sent none. */
  currency: string;
  transaction_id: string;
  payment_processor?: string | null;
  event_type?: PulsoraRevenueEventType | null;
  customer_subscription_id?: string | null;
  /** Monthly recurring revenue delta in major units, signed. Authoritative when present. */
  mrr_impact?: number | null;
  is_recurring?: boolean | null;
  metadata?: JsonObject | null;
}

export type PulsoraActivityKind = 'pageview' | 'event' | 'identify';
export const PULSORA_ACTIVITY_KINDS: readonly PulsoraActivityKind[] = ['pageview', 'event', 'identify'];

/** The `data` of a pageview/event/identify body: product activity, accepted with a pub_ or sec_ token. */
export type PulsoraActivityData = JsonObject;
