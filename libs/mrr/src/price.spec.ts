import type { ValuedPrice } from '@revstream/events';
import { itemMonthlyAmount, normalizePrice, priceAtQuantity, quantityOf, toMonthly } from './price';
import { formatRational, rational, roundToMinor } from './rational';

const perUnit = (unit_amount: number, interval: ValuedPrice['interval'] = 'month', interval_count = 1): ValuedPrice => ({
  currency: 'USD', type: 'recurring', billing_scheme: 'per_unit', unit_amount, interval, interval_count,
});
const tiered = (tiers_mode: 'graduated' | 'volume'): ValuedPrice => ({
  currency: 'USD', type: 'recurring', billing_scheme: 'tiered', tiers_mode, interval: 'month',
  tiers: [
    { up_to: 5, unit_amount: 500 },
    { up_to: 10, unit_amount: 400, flat_amount: 1000 },
    { up_to: 'inf', unit_amount: 300 },
  ],
});

describe('MRR rules: the price at a quantity', () => {
  it('per_unit is unit_amount times quantity', () => {
    expect(priceAtQuantity(normalizePrice(perUnit(999)), 2)).toBe(1998n);
    expect(priceAtQuantity(normalizePrice(perUnit(999)), 0)).toBe(0n);
  });

  it('given $2,000 a year for 4 seats, then $166.67 of MRR', () => {
    const price = normalizePrice(perUnit(50_000, 'year'));
    const monthly = itemMonthlyAmount(price, 4);
    expect(formatRational(monthly)).toBe('50000/3'); // 200000 / 12, exact
    expect(roundToMinor(monthly)).toBe(16_667n);
  });

  it('graduated: each tier prices its own units, up_to inclusive, and its flat_amount once reached', () => {
    const price = normalizePrice(tiered('graduated'));
    expect(priceAtQuantity(price, 5)).toBe(2_500n); // 5 × 500, tier 2 not reached
    expect(priceAtQuantity(price, 6)).toBe(2_500n + 400n + 1_000n);
    expect(priceAtQuantity(price, 12)).toBe(2_500n + 5n * 400n + 1_000n + 2n * 300n);
    expect(priceAtQuantity(price, 0)).toBe(0n);
  });

  it('volume: the tier the whole quantity falls in prices every unit, up_to inclusive', () => {
    const price = normalizePrice(tiered('volume'));
    expect(priceAtQuantity(price, 5)).toBe(2_500n);
    expect(priceAtQuantity(price, 6)).toBe(6n * 400n + 1_000n);
    expect(priceAtQuantity(price, 11)).toBe(11n * 300n);
  });

  it('a price with tiers is tiered whatever billing_scheme says; tiers are sorted and the last is unbounded (seed 003)', () => {
    const seed: ValuedPrice = {
      source_key: 'price-399-monthly-plus', interval: 'month', interval_count: 12, type: 'recurring', billing_scheme: 'per_unit',
      currency: 'USD', active: true,
      tiers: [
        { unit_amount: 399, flat_amount: 100, up_to: 500 },
        { unit_amount: 199, flat_amount: 299, up_to: 399 },
      ],
    };
    const price = normalizePrice(seed);
    expect(price.scheme).toBe('tiered');
    expect(price.tiersMode).toBe('graduated');
    expect(price.tiers).toEqual([
      { upTo: 399, unitAmount: 199, flatAmount: 299 },
      { upTo: null, unitAmount: 399, flatAmount: 100 },
    ]);
    expect(priceAtQuantity(price, 1)).toBe(498n);
    expect(priceAtQuantity(price, 401)).toBe(399n * 199n + 299n + 2n * 399n + 100n);
    // "9.99 / month" with interval_count 12 bills every 12 months: the data decides, not the name.
    expect(formatRational(itemMonthlyAmount(price, 1))).toBe('83/2');
  });

  it('refuses tiers that are ambiguous, and prices it cannot value', () => {
    const twoUnbounded: ValuedPrice = { ...tiered('graduated'), tiers: [{ up_to: null, unit_amount: 1 }, { up_to: 'inf', unit_amount: 2 }] };
    expect(() => normalizePrice(twoUnbounded)).toThrow(/more than one unbounded tier/);
    const sameBound: ValuedPrice = { ...tiered('graduated'), tiers: [{ up_to: 5, unit_amount: 1 }, { up_to: 5, unit_amount: 2 }] };
    expect(() => normalizePrice(sameBound)).toThrow(/same up_to/);
    expect(() => normalizePrice({ currency: 'USD', interval: 'month' })).toThrow(/price.unit_amount: a recurring licensed price needs unit_amount or tiers/);
    expect(() => normalizePrice({ currency: 'USD', type: 'recurring', unit_amount: 5 })).toThrow(/needs an interval/);
    expect(() => normalizePrice({ ...perUnit(5), interval_count: 0 })).toThrow(/interval_count: must be a positive integer/);
    expect(() => normalizePrice({ ...perUnit(5), currency: 'dollars' })).toThrow(/ISO 4217/);
    expect(() => quantityOf(1.5, 'subscription_items[0].quantity')).toThrow(/subscription_items\[0\].quantity: must be a non-negative integer/);
    expect(quantityOf(null, 'q')).toBe(1);
  });

  it('metered (usage) and one-time prices add no MRR', () => {
    expect(itemMonthlyAmount(normalizePrice({ currency: 'USD', interval: 'month', usage_type: 'metered' }), 10)).toEqual(rational(0n));
    expect(itemMonthlyAmount(normalizePrice({ currency: 'USD', type: 'one_time', unit_amount: 5_000 }), 1)).toEqual(rational(0n));
    expect(itemMonthlyAmount(normalizePrice({ currency: 'USD', unit_amount: 5_000 }), 1)).toEqual(rational(0n));
  });

  it('zero-decimal currencies have no cents: 12,000 JPY a year is 1,000 JPY a month', () => {
    expect(roundToMinor(itemMonthlyAmount(normalizePrice({ ...perUnit(12_000, 'year'), currency: 'jpy' }), 1))).toBe(1_000n);
  });
});

describe('MRR rules: normalizing one period to a month, exactly', () => {
  it.each([
    ['month', 1, 1200n, '1200'],
    ['month', 3, 1200n, '400'],
    ['year', 1, 1200n, '100'],
    ['year', 2, 1200n, '50'],
    ['week', 1, 1200n, '5200'], // 1200 × 52 / 12
    ['week', 2, 1000n, '6500/3'],
    ['day', 1, 1200n, '36500'], // 1200 × 365 / 12
    ['day', 7, 100n, '9125/21'], // 100 × 365 / 84
  ] as const)('%s × %d: %p is %s a month', (interval, count, amount, expected) => {
    expect(formatRational(toMonthly(amount, interval, count))).toBe(expected);
  });

  it('$100 a month and $1,200 a year are the same MRR', () => {
    expect(itemMonthlyAmount(normalizePrice(perUnit(10_000, 'month')), 1)).toEqual(itemMonthlyAmount(normalizePrice(perUnit(120_000, 'year')), 1));
  });
});
