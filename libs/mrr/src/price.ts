import type { PriceInterval, ValuedPrice } from '@revstream/events';
import { normalizeCurrency } from '@revstream/money';
import { MrrInputError } from './errors';
import { rational, type Rational, ZERO } from './rational';

export type TiersMode = 'graduated' | 'volume';

/** One tier, sorted. `upTo` is inclusive; null is unbounded (always, and only, the last tier). */
export interface PriceTier {
  readonly upTo: number | null;
  readonly unitAmount: number;
  readonly flatAmount: number;
}

/** A price as the MRR rules read it: what the source sent, resolved into one meaning. */
export interface Price {
  readonly currency: string;
  readonly scheme: 'per_unit' | 'tiered';
  readonly tiersMode: TiersMode | null;
  readonly unitAmount: number | null;
  readonly tiers: readonly PriceTier[];
  /** null: not recurring (one-time), adds no MRR. */
  readonly interval: PriceInterval | null;
  readonly intervalCount: number;
  /** Metered (usage) prices add no MRR: what they bill is not known in advance. */
  readonly metered: boolean;
}

const INTERVALS: readonly PriceInterval[] = ['day', 'week', 'month', 'year'];

function minorAmount(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new MrrInputError(path, `must be a non-negative integer amount of minor units, got ${JSON.stringify(value)}`);
  }
  return value;
}

function positiveInteger(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new MrrInputError(path, `must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * Sorts tiers by up_to, unbounded last, and makes the last one unbounded (Stripe: "the last tier is
 * unbounded"). Sources send tiers in any order (seed 003 sends up_to 500 before 399); two tiers with
 * the same bound, or an unbounded tier that is not the highest, are ambiguous and refused.
 */
export function sortTiers(tiers: NonNullable<ValuedPrice['tiers']>, path: string): PriceTier[] {
  const parsed = tiers.map((t, i) => {
    const at = `${path}[${i}]`;
    if (t === null || typeof t !== 'object') throw new MrrInputError(at, 'must be an object');
    const unbounded = t.up_to === null || t.up_to === undefined || t.up_to === 'inf';
    return {
      upTo: unbounded ? null : positiveInteger(t.up_to, `${at}.up_to`),
      unitAmount: t.unit_amount === null || t.unit_amount === undefined ? 0 : minorAmount(t.unit_amount, `${at}.unit_amount`),
      flatAmount: t.flat_amount === null || t.flat_amount === undefined ? 0 : minorAmount(t.flat_amount, `${at}.flat_amount`),
    };
  });
  if (parsed.filter((t) => t.upTo === null).length > 1) throw new MrrInputError(path, 'has more than one unbounded tier');
  const bounds = parsed.filter((t) => t.upTo !== null).map((t) => t.upTo!);
  if (new Set(bounds).size !== bounds.length) throw new MrrInputError(path, 'has two tiers with the same up_to');
  const sorted = [...parsed].sort((a, b) => (a.upTo ?? Infinity) - (b.upTo ?? Infinity));
  const last = sorted[sorted.length - 1]!;
  sorted[sorted.length - 1] = { ...last, upTo: null };
  return sorted;
}

/**
 * Resolves a source price into one meaning:
 *  - a price with tiers is tiered, whatever billing_scheme says (seed 003 sends "per_unit" with
 *    tiers and no unit_amount); tiers_mode defaults to graduated;
 *  - a per_unit price needs unit_amount, unless it adds no MRR anyway (one-time, metered);
 *  - a price is recurring when it has an interval; type "recurring" without one is refused; a price
 *    with neither is one-time.
 */
export function normalizePrice(input: ValuedPrice, path = 'price'): Price {
  if (input === null || typeof input !== 'object') throw new MrrInputError(path, 'must be an object');
  let currency: string;
  try {
    currency = normalizeCurrency(String(input.currency ?? ''));
  } catch {
    throw new MrrInputError(`${path}.currency`, `must be an ISO 4217 code, got ${JSON.stringify(input.currency)}`);
  }
  const metered = input.usage_type === 'metered';
  let interval: PriceInterval | null = null;
  let intervalCount = 1;
  if (input.type !== 'one_time' && input.interval !== null && input.interval !== undefined) {
    if (!INTERVALS.includes(input.interval)) throw new MrrInputError(`${path}.interval`, `must be one of ${INTERVALS.join(', ')}, got ${JSON.stringify(input.interval)}`);
    interval = input.interval;
    intervalCount = input.interval_count === null || input.interval_count === undefined ? 1 : positiveInteger(input.interval_count, `${path}.interval_count`);
  } else if (input.type === 'recurring') {
    throw new MrrInputError(`${path}.interval`, 'a recurring price needs an interval (day, week, month or year)');
  }
  const addsMrr = interval !== null && !metered;

  if (Array.isArray(input.tiers) && input.tiers.length > 0) {
    if (input.tiers_mode !== null && input.tiers_mode !== undefined && input.tiers_mode !== 'graduated' && input.tiers_mode !== 'volume') {
      throw new MrrInputError(`${path}.tiers_mode`, `must be graduated or volume, got ${JSON.stringify(input.tiers_mode)}`);
    }
    return {
      currency,
      scheme: 'tiered',
      tiersMode: input.tiers_mode ?? 'graduated',
      unitAmount: null,
      tiers: sortTiers(input.tiers, `${path}.tiers`),
      interval,
      intervalCount,
      metered,
    };
  }
  if (input.billing_scheme === 'tiered' && addsMrr) throw new MrrInputError(`${path}.tiers`, 'a tiered price needs at least one tier');
  const hasUnit = input.unit_amount !== null && input.unit_amount !== undefined;
  if (!hasUnit && addsMrr) throw new MrrInputError(`${path}.unit_amount`, 'a recurring licensed price needs unit_amount or tiers');
  return {
    currency,
    scheme: 'per_unit',
    tiersMode: null,
    unitAmount: hasUnit ? minorAmount(input.unit_amount, `${path}.unit_amount`) : null,
    tiers: [],
    interval,
    intervalCount,
    metered,
  };
}

/** Checks a quantity (absent means 1, as in Stripe): a non-negative integer. */
export function quantityOf(value: unknown, path: string): number {
  if (value === null || value === undefined) return 1;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new MrrInputError(path, `must be a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * The price of one billing period at a quantity, in minor units (exact: integers times integers).
 *  - per_unit: unit_amount × quantity;
 *  - graduated: each tier prices the units that fall in it, plus its flat_amount when any unit does;
 *  - volume: the tier the whole quantity falls in prices every unit, plus its flat_amount.
 * up_to is inclusive. A quantity of 0 costs 0 in every scheme.
 */
export function priceAtQuantity(price: Price, quantity: number): bigint {
  const q = BigInt(quantity);
  if (q === 0n) return 0n;
  if (price.scheme === 'per_unit') return BigInt(price.unitAmount ?? 0) * q;
  if (price.tiersMode === 'volume') {
    const tier = price.tiers.find((t) => t.upTo === null || q <= BigInt(t.upTo))!;
    return BigInt(tier.unitAmount) * q + BigInt(tier.flatAmount);
  }
  let total = 0n;
  let lower = 0n;
  for (const tier of price.tiers) {
    if (q <= lower) break;
    const upper = tier.upTo === null ? q : BigInt(tier.upTo) < q ? BigInt(tier.upTo) : q;
    total += (upper - lower) * BigInt(tier.unitAmount) + BigInt(tier.flatAmount);
    lower = upper;
  }
  return total;
}

/**
 * One period's amount as one month's, exactly:
 * month ÷ interval_count; year ÷ (12 × interval_count); week × 52/12 ÷ interval_count; day × 365/12 ÷ interval_count.
 */
export function toMonthly(amount: bigint, interval: PriceInterval, intervalCount: number): Rational {
  const count = BigInt(intervalCount);
  switch (interval) {
    case 'month':
      return rational(amount, count);
    case 'year':
      return rational(amount, 12n * count);
    case 'week':
      return rational(amount * 52n, 12n * count);
    case 'day':
      return rational(amount * 365n, 12n * count);
  }
}

/** Item MRR: the price at the item's quantity, normalized to one month. One-time and metered prices add 0. */
export function itemMonthlyAmount(price: Price, quantity: number): Rational {
  if (price.interval === null || price.metered) return ZERO;
  return toMonthly(priceAtQuantity(price, quantity), price.interval, price.intervalCount);
}
