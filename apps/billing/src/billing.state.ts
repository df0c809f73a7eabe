import type { SubscriptionStatus } from '@revstream/events';
import type { Price } from '@revstream/mrr';

/**
 * The billing projection's documents, as stored in `billing.documents` (jsonb). Everything is kept
 * in a canonical order (lists sorted by key or by event time), so the same events give the same
 * document whatever order they arrived in. `at` is the event time (occurredAt) in epoch ms and `id`
 * the event id: together they order facts, the id breaking ties.
 */
export interface Stamp {
  at: number;
  id: string;
}

/** One MRR fact (see MrrChange in @revstream/mrr), compact: amounts are exact rationals as "n/d". */
export interface StoredMrrFact extends Stamp {
  /** The component (`v:<subscription>` for Valued, `p:<subscription>` for Pulsora), or a prefix for clear. */
  c: string;
  op: 'set' | 'add' | 'clear';
  /** [currency, amount] pairs: the amounts for set, the delta for add, the currency for clear. */
  v: Array<[string, string]>;
}

export interface StoredProfile extends Stamp {
  name: string | null;
  /** The gateway hashes emails (salted per tenant) before publishing; this is that hash. */
  emailHash: string | null;
  stripeCustomerId: string | null;
}

export interface StoredItem {
  key: string;
  quantity: number;
  planKey: string | null;
  planName: string | null;
  priceKey: string | null;
  priceName: string | null;
  price: Price;
  /** Item MRR if the subscription counts, exact. */
  mrr: string;
}

export interface StoredSubscription extends Stamp {
  key: string;
  status: SubscriptionStatus;
  currency: string;
  startedAt: number | null;
  currentPeriodStart: number | null;
  currentPeriodEnd: number | null;
  trialEnd: number | null;
  canceledAt: number | null;
  endedAt: number | null;
  items: StoredItem[];
}

export interface StoredInvoiceItem {
  key: string;
  quantity: number | null;
  amount: number;
  amountExcludingTax: number | null;
  description: string | null;
  proration: boolean | null;
  periodStart: number | null;
  periodEnd: number | null;
}

export interface StoredInvoice extends Stamp {
  key: string;
  subscription: string | null;
  status: string;
  currency: string;
  total: number;
  subtotal: number | null;
  discount: number | null;
  tax: number | null;
  finalizedAt: number | null;
  paidAt: number | null;
  items: StoredInvoiceItem[];
}

/** One customer of one tenant: the latest snapshot of each resource, and every MRR fact. */
export interface CustomerDocument {
  kind: 'customer';
  tenantId: string;
  customerId: string;
  firstAt: number;
  lastAt: number;
  profile: StoredProfile | null;
  /** Latest snapshot per subscription, sorted by key. */
  subscriptions: StoredSubscription[];
  /** Latest snapshot per invoice, sorted by key. */
  invoices: StoredInvoice[];
  /** Every MRR fact, sorted by (at, id): the timeline is their replay. */
  mrr: StoredMrrFact[];
}

export interface StoredPlan extends Stamp {
  key: string;
  name: string | null;
  active: boolean | null;
}

export interface StoredPrice extends Stamp {
  key: string;
  planKey: string | null;
  name: string | null;
  active: boolean | null;
  price: Price;
}

/** A tenant's catalog: plans and prices from plan/price sync events (which name no customer). */
export interface CatalogDocument {
  kind: 'catalog';
  tenantId: string;
  plans: StoredPlan[];
  prices: StoredPrice[];
}

export type BillingDocument = { kind: 'empty' } | CustomerDocument | CatalogDocument;
