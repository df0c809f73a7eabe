export type RevnuBillingModel = 'flat' | 'metered' | 'hybrid';
export const REVNU_BILLING_MODELS: readonly RevnuBillingModel[] = ['flat', 'metered', 'hybrid'];

/** A `POST /api/v1/usage` report (seed 002), plus the meter name the product reports under. */
export interface RevnuUsageData {
  productId: string;
  stripeCustomerId: string;
  /** A positive whole number of units. */
  value: number;
  /** The product's event name (the meter), as returned to the client. */
  eventName: string;
}
