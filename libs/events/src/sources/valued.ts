/**
 * Valued `category: "revenue"` bodies (seed 003). Timestamps are Unix seconds; amounts are integer
 * minor units. A body is a snapshot of the resources it carries: applying it twice changes nothing.
 */
export type SubscriptionStatus =
  | 'active' | 'past_due' | 'trialing' | 'incomplete' | 'incomplete_expired' | 'paused' | 'canceled' | 'unpaid';
export const SUBSCRIPTION_STATUSES: readonly SubscriptionStatus[] = [
  'active', 'past_due', 'trialing', 'incomplete', 'incomplete_expired', 'paused', 'canceled', 'unpaid',
];

export type PriceInterval = 'day' | 'week' | 'month' | 'year';
export const PRICE_INTERVALS: readonly PriceInterval[] = ['day', 'week', 'month', 'year'];

export interface ValuedCustomer {
  id: string;
  /** Hashed by the gateway when present. */
  email?: string | null;
  name?: string | null;
  stripe_customer_id?: string | null;
}

export interface ValuedSubscription {
  source_key: string;
  started_at?: number | null;
  status: SubscriptionStatus;
  currency: string;
  current_period_start?: number | null;
  current_period_end?: number | null;
  trial_end?: number | null;
  canceled_at?: number | null;
  ended_at?: number | null;
}

export interface ValuedPriceTier {
  unit_amount?: number | null;
  flat_amount?: number | null;
  /** Inclusive upper bound; null (or "inf") for the last, unbounded tier. */
  up_to: number | 'inf' | null;
}

export interface ValuedPrice {
  /** Inline prices (subscription items) use source_key; synced prices use id. */
  source_key?: string | null;
  id?: string | null;
  plan?: string | null;
  name?: string | null;
  interval?: PriceInterval | null;
  interval_count?: number | null;
  type?: 'recurring' | 'one_time' | null;
  billing_scheme?: 'per_unit' | 'tiered' | null;
  tiers_mode?: 'graduated' | 'volume' | null;
  usage_type?: 'licensed' | 'metered' | null;
  currency: string;
  unit_amount?: number | null;
  active?: boolean | null;
  tiers?: ValuedPriceTier[] | null;
}

export interface ValuedPlan {
  source_key?: string | null;
  id?: string | null;
  name?: string | null;
  active?: boolean | null;
  price?: ValuedPrice | null;
}

export interface ValuedSubscriptionItem {
  source_key: string;
  quantity?: number | null;
  plan?: ValuedPlan | null;
  price?: ValuedPrice | null;
}

export interface ValuedInvoiceItem {
  source_key: string;
  quantity?: number | null;
  amount: number;
  description?: string | null;
  amount_excluding_tax?: number | null;
  proration?: boolean | null;
  period_start?: number | null;
  period_end?: number | null;
}

export interface ValuedInvoice {
  source_key: string;
  subscription?: string | null;
  total: number;
  currency: string;
  status: string;
  finalized_at?: number | null;
  paid_at?: number | null;
  subtotal?: number | null;
  discount?: number | null;
  tax?: number | null;
  invoice_items?: ValuedInvoiceItem[] | null;
}

export interface ValuedRevenueData {
  category: 'revenue';
  customer?: ValuedCustomer | null;
  subscription?: ValuedSubscription | null;
  subscription_items?: ValuedSubscriptionItem[] | null;
  invoice?: ValuedInvoice | null;
  plan?: ValuedPlan | null;
  price?: ValuedPrice | null;
}
