import type { SubscriptionStatus } from '@revstream/events';
import type { Price } from '@revstream/mrr';

/**
 * The billing projection's documents, as stored in `billing.documents` (JSON text). Everything is kept
 * in a canonical order (lists sorted by key or by event time), so the same events give the same
 * document whatever order they arrived in. `at` is the event time (occurredAt) in epoch ms and `id`
 * the event id: together they order facts, the id breaking ties.
 */
export interface Stamp {
  at: number;
  id: string;
}

/**
 * One MRR fact, compact; amounts are exact rationals as "n/d".
 *  - snap: a Valued subscription snapshot: whether its status counts (`s`), its currency, and its
 *    items' MRR per currency, or null when the event did not send items (they are unchanged: the
 *    replay carries forward the items of the latest earlier snapshot that had them);
 *  - set/add/clear: Pulsora (see MrrChange in @revstream/mrr).
 */
export type StoredMrrFact = Stamp &
  (
    | { op: 'snap'; c: string; s: boolean; cur: string; v: Array<[string, string]> | null }
    | { op: 'set' | 'add' | 'clear'; c: string; v: Array<[string, string]> }
  );

/** A value and the stamp of the latest event that sent it: each field is its own latest-wins register. */
export type Stamped<T> = [at: number, id: string, value: T];

export interface StoredProfile {
  name: Stamped<string> | null;
  /** The gateway hashes emails (salted per tenant) before publishing; this is that hash. */
  emailHash: Stamped<string> | null;
  stripeCustomerId: Stamped<string> | null;
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

export interface SubscriptionDates {
  startedAt: number | null;
  currentPeriodStart: number | null;
  currentPeriodEnd: number | null;
  trialEnd: number | null;
  canceledAt: number | null;
  endedAt: number | null;
}

/**
 * The latest state of a subscription, as three latest-wins registers, so arrival order never
 * matters and an event that leaves a part out does not erase it (Valued resources are optional: an
 * invoice event repeats the subscription with only source_key, status and currency):
 *  - status and currency: from the latest snapshot (`at`, `id`);
 *  - dates (Unix seconds): from the latest snapshot that sent any of them;
 *  - items: from the latest snapshot that sent subscription_items.
 */
export interface StoredSubscription extends Stamp {
  key: string;
  status: SubscriptionStatus;
  currency: string;
  dates: SubscriptionDates | null;
  datesStamp: Stamp | null;
  items: StoredItem[];
  itemsStamp: Stamp | null;
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
  /** The items of the latest snapshot that sent invoice_items. */
  items: StoredInvoiceItem[];
  itemsStamp: Stamp | null;
}

/** One customer of one tenant: the latest snapshot of each resource, and every MRR fact. */
export interface CustomerDocument {
  kind: 'customer';
  tenantId: string;
  customerId: string;
  firstAt: number;
  lastAt: number;
  profile: StoredProfile;
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
