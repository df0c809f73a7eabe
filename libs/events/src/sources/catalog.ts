import type { RevnuBillingModel } from './revnu';

/** How a meter's events make a period's value. Counters default to sum, gauges to latest. */
export type MeterAggregation = 'sum' | 'count' | 'max' | 'latest';
export const METER_AGGREGATIONS: readonly MeterAggregation[] = ['sum', 'count', 'max', 'latest'];

/** `npm run cli -- products create ...`: a Revnu product, its model and its prices (minor units). */
export interface ProductRegisteredData {
  productId: string;
  model: RevnuBillingModel;
  eventName: string;
  currency: string;
  unitAmount: number | null;
  flatAmount: number | null;
  /** Optional: how the product's meter (its eventName) aggregates a period; absent or null means sum. */
  aggregation?: MeterAggregation | null;
}
