import type { RevnuBillingModel } from './revnu';

/** `npm run cli -- products create ...`: a Revnu product, its model and its prices (minor units). */
export interface ProductRegisteredData {
  productId: string;
  model: RevnuBillingModel;
  eventName: string;
  currency: string;
  unitAmount: number | null;
  flatAmount: number | null;
}
