import { roundRational } from '@revstream/money';
import { coefficientAt, compareDecimal, type Decimal, decimalFromInteger, denominatorOf, subtractDecimal, ZERO } from './decimal';
import type { MeterPrice, Tier } from './pricing';

/** An amount of money: integer minor units of one currency. Never added across currencies. */
export interface Charge {
  readonly currency: string;
  readonly amount: bigint;
}

/** quantity × unit amount, as a numerator over the quantity's denominator. */
const times = (quantity: Decimal, unitAmount: number, scale: number): bigint => coefficientAt(quantity, scale) * BigInt(unitAmount);

const minD = (a: Decimal, b: Decimal): Decimal => (compareDecimal(a, b) <= 0 ? a : b);

/**
 * Graduated tiers (Stripe): each tier prices the units that fall in it, (previous bound, up_to], at
 * its unit amount, plus its flat amount once when the quantity reaches it. Quantity 0 reaches the
 * first tier, so a flat fee on the first tier is always charged (Stripe's "base fee" pattern).
 */
function graduated(tiers: readonly Tier[], quantity: Decimal, scale: number): bigint {
  let total = 0n;
  let lower: Decimal = ZERO;
  for (const [i, tier] of tiers.entries()) {
    if (i > 0 && compareDecimal(quantity, lower) <= 0) break;
    const upper = tier.upTo === null ? quantity : minD(quantity, decimalFromInteger(tier.upTo));
    const units = compareDecimal(upper, lower) > 0 ? subtractDecimal(upper, lower) : ZERO;
    total += times(units, tier.unitAmount, scale) + BigInt(tier.flatAmount) * denominatorOf({ coefficient: 0n, scale });
    if (tier.upTo === null) break;
    lower = decimalFromInteger(tier.upTo);
  }
  return total;
}

/** Volume tiers (Stripe): the tier the whole quantity falls in prices every unit, plus its flat amount. */
function volume(tiers: readonly Tier[], quantity: Decimal, scale: number): bigint {
  const tier = tiers.find((t) => t.upTo === null || compareDecimal(quantity, decimalFromInteger(t.upTo)) <= 0)!;
  return times(quantity, tier.unitAmount, scale) + BigInt(tier.flatAmount) * denominatorOf({ coefficient: 0n, scale });
}

/**
 * What a period's quantity costs under a price, in integer minor units, rounded once, half away from
 * zero (a fractional quantity times a unit price can fall between minor units). Tiered prices rate a
 * negative quantity as 0.
 */
export function rate(price: MeterPrice, quantity: Decimal): Charge {
  const scale = quantity.scale;
  const denominator = denominatorOf(quantity);
  const flat = (amount: number): bigint => BigInt(amount) * denominator;
  let numerator: bigint;
  const terms = price.terms;
  switch (terms.scheme) {
    case 'revnu':
      numerator =
        terms.model === 'flat'
          ? flat(terms.flatAmount)
          : terms.model === 'metered'
            ? times(quantity, terms.unitAmount, scale)
            : flat(terms.flatAmount) + times(quantity, terms.unitAmount, scale);
      break;
    case 'per_unit':
      numerator = times(quantity, terms.unitAmount, scale);
      break;
    case 'graduated':
    case 'volume': {
      const q = quantity.coefficient < 0n ? ZERO : quantity;
      numerator = (terms.scheme === 'graduated' ? graduated : volume)(terms.tiers, q, scale);
      break;
    }
  }
  return { currency: price.currency, amount: roundRational(numerator, denominator) };
}
