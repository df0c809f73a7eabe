import type { ProductRegisteredData, RevnuBillingModel, ValuedPrice, ValuedPriceTier } from '@revstream/events';
import { normalizeCurrency } from '@revstream/money';

/**
 * How a meter's period value becomes money. Amounts are integer minor units of `currency`.
 *  - revnu: a Revnu product. flat: the flat fee; metered: units × unit price; hybrid: both.
 *  - per_unit: units × unit price.
 *  - graduated / volume: Stripe tiers, in ascending order of `upTo`, the last one unbounded (null).
 */
export type PriceTerms =
  | { readonly scheme: 'revnu'; readonly model: RevnuBillingModel; readonly unitAmount: number; readonly flatAmount: number }
  | { readonly scheme: 'per_unit'; readonly unitAmount: number }
  | { readonly scheme: 'graduated' | 'volume'; readonly tiers: readonly Tier[] };

export interface Tier {
  /** Inclusive upper bound of the tier; null for the last, unbounded tier. */
  readonly upTo: number | null;
  readonly unitAmount: number;
  readonly flatAmount: number;
}

export interface MeterPrice {
  readonly currency: string;
  readonly terms: PriceTerms;
}

/** A price definition that can be used, or the reason it cannot (kept visible, never silently dropped). */
export type PriceOutcome = { readonly ok: true; readonly price: MeterPrice } | { readonly ok: false; readonly problem: string };

const isAmount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function currencyOf(code: unknown): string | { problem: string } {
  if (typeof code !== 'string') return { problem: 'currency: missing' };
  try {
    return normalizeCurrency(code);
  } catch {
    return { problem: `currency: ${JSON.stringify(code)} is not an ISO 4217 code` };
  }
}

/** A Revnu product's price (`catalog.product_registered`, from `npm run cli -- products create`). */
export function priceOfProduct(product: ProductRegisteredData): PriceOutcome {
  const currency = currencyOf(product.currency);
  if (typeof currency !== 'string') return { ok: false, problem: currency.problem };
  const needsFlat = product.model === 'flat' || product.model === 'hybrid';
  const needsUnit = product.model === 'metered' || product.model === 'hybrid';
  if (needsFlat && !isAmount(product.flatAmount)) return { ok: false, problem: `flatAmount: a ${product.model} product needs a flat fee in minor units (a whole number >= 0)` };
  if (needsUnit && !isAmount(product.unitAmount)) return { ok: false, problem: `unitAmount: a ${product.model} product needs a unit price in minor units (a whole number >= 0)` };
  return {
    ok: true,
    price: {
      currency,
      terms: { scheme: 'revnu', model: product.model, unitAmount: needsUnit ? product.unitAmount! : 0, flatAmount: needsFlat ? product.flatAmount! : 0 },
    },
  };
}

/**
 * Tiers in the order their bounds define. Stripe lists tiers in ascending `up_to`; the seed's example
 * (up_to 500, then 399) does not. A tier is defined by its bound, not by its position, so a list in
 * any order has exactly one reading: we sort it by `up_to`, the unbounded tier last. Lists that have
 * no single reading are refused with the reason: two tiers with the same bound, more than one
 * unbounded tier, a bound that is not a whole number >= 1, an amount that is not a whole number >= 0.
 * Stripe requires the last tier to be unbounded (`up_to: "inf"`); a list without one (the seed's
 * again) has its highest tier extended to cover everything above, as Stripe's fallback tier would.
 */
export function normalizeTiers(tiers: readonly ValuedPriceTier[]): { ok: true; tiers: Tier[] } | { ok: false; problem: string } {
  if (tiers.length === 0) return { ok: false, problem: 'tiers: empty' };
  const out: Tier[] = [];
  for (const [i, t] of tiers.entries()) {
    const unbounded = t.up_to === null || t.up_to === undefined || t.up_to === 'inf';
    if (!unbounded && !(typeof t.up_to === 'number' && Number.isSafeInteger(t.up_to) && t.up_to >= 1)) {
      return { ok: false, problem: `tiers[${i}].up_to: must be a whole number >= 1, "inf" or null, got ${JSON.stringify(t.up_to)}` };
    }
    const unitAmount = t.unit_amount ?? 0;
    const flatAmount = t.flat_amount ?? 0;
    if (!isAmount(unitAmount)) return { ok: false, problem: `tiers[${i}].unit_amount: must be a whole number of minor units >= 0` };
    if (!isAmount(flatAmount)) return { ok: false, problem: `tiers[${i}].flat_amount: must be a whole number of minor units >= 0` };
    out.push({ upTo: unbounded ? null : (t.up_to as number), unitAmount, flatAmount });
  }
  const unboundedCount = out.filter((t) => t.upTo === null).length;
  if (unboundedCount > 1) return { ok: false, problem: 'tiers: more than one unbounded tier (up_to "inf" or null)' };
  const bounds = out.filter((t) => t.upTo !== null).map((t) => t.upTo!);
  const duplicate = bounds.find((b, i) => bounds.indexOf(b) !== i);
  if (duplicate !== undefined) return { ok: false, problem: `tiers: two tiers end at up_to ${duplicate}` };
  out.sort((a, b) => (a.upTo ?? Number.POSITIVE_INFINITY) - (b.upTo ?? Number.POSITIVE_INFINITY));
  const last = out[out.length - 1]!;
  if (last.upTo !== null) out[out.length - 1] = { ...last, upTo: null };
  return { ok: true, tiers: out };
}

/** The key a Valued price is known by: `id` when synced, `source_key` when inline on an item. */
export const valuedPriceKey = (price: ValuedPrice): string | null => {
  const key = price.id ?? price.source_key ?? null;
  return typeof key === 'string' && key.length > 0 ? key : null;
};

/**
 * A Valued price. With tiers, it is tiered whatever `billing_scheme` says (the seed's example says
 * per_unit and carries tiers); `tiers_mode` defaults to graduated. Without tiers it needs a unit_amount.
 */
export function priceOfValued(price: ValuedPrice): PriceOutcome {
  const currency = currencyOf(price.currency);
  if (typeof currency !== 'string') return { ok: false, problem: currency.problem };
  if (price.tiers && price.tiers.length > 0) {
    if (price.tiers_mode !== undefined && price.tiers_mode !== null && price.tiers_mode !== 'graduated' && price.tiers_mode !== 'volume') {
      return { ok: false, problem: `tiers_mode: must be graduated or volume, got ${JSON.stringify(price.tiers_mode)}` };
    }
    const tiers = normalizeTiers(price.tiers);
    if (!tiers.ok) return tiers;
    return { ok: true, price: { currency, terms: { scheme: price.tiers_mode ?? 'graduated', tiers: tiers.tiers } } };
  }
  if (!isAmount(price.unit_amount)) return { ok: false, problem: 'unit_amount: a price without tiers needs a unit amount in minor units (a whole number >= 0)' };
  return { ok: true, price: { currency, terms: { scheme: 'per_unit', unitAmount: price.unit_amount } } };
}
