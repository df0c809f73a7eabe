import { decimalFromNumber } from './decimal';
import { type MeterPrice, normalizeTiers, priceOfProduct, priceOfValued } from './pricing';
import { rate } from './rating';

const amount = (price: MeterPrice, quantity: number): number => Number(rate(price, decimalFromNumber(quantity)).amount);
const ok = (outcome: ReturnType<typeof priceOfValued>): MeterPrice => {
  if (!outcome.ok) throw new Error(outcome.problem);
  return outcome.price;
};

/** The seed's tiers (Valued, seed 003): not in ascending order of up_to, and no unbounded tier. */
const SEED_TIERS = [
  { unit_amount: 399, flat_amount: 100, up_to: 500 },
  { unit_amount: 199, flat_amount: 299, up_to: 399 },
];

describe('rating: Revnu products', () => {
  const product = (model: 'flat' | 'metered' | 'hybrid', unitAmount: number | null, flatAmount: number | null) =>
    priceOfProduct({ productId: 'p', model, eventName: 'api_calls', currency: 'usd', unitAmount, flatAmount });

  it('given a flat product, then the period costs its flat fee whatever the usage', () => {
    const price = ok(product('flat', null, 4900));
    expect([amount(price, 1), amount(price, 1000)]).toEqual([4900, 4900]);
  });

  it('given a metered product, then units × unit price; given a hybrid one, the flat fee on top', () => {
    expect(amount(ok(product('metered', 2, null)), 150)).toBe(300);
    expect(amount(ok(product('hybrid', 25, 1000)), 10)).toBe(1250);
    expect(rate(ok(product('hybrid', 25, 1000)), decimalFromNumber(10)).currency).toBe('USD');
  });

  it('given a product without the amount its model needs, then it cannot price, and says why', () => {
    expect(product('metered', null, null)).toEqual({ ok: false, problem: 'unitAmount: a metered product needs a unit price in minor units (a whole number >= 0)' });
    expect(product('hybrid', 5, null)).toEqual({ ok: false, problem: 'flatAmount: a hybrid product needs a flat fee in minor units (a whole number >= 0)' });
    expect(priceOfProduct({ productId: 'p', model: 'flat', eventName: 'e', currency: 'dollars', unitAmount: null, flatAmount: 1 })).toEqual({
      ok: false,
      problem: 'currency: "dollars" is not an ISO 4217 code',
    });
  });
});

describe('rating: per-unit and tiered prices (Stripe semantics, integer minor units)', () => {
  it('given a per-unit price and a fractional quantity, then the amount is rounded once, half away from zero', () => {
    const price = ok(priceOfValued({ currency: 'USD', unit_amount: 3 }));
    expect(amount(price, 15.5)).toBe(47); // 46.5
    expect(amount(price, 0.1)).toBe(0); // 0.3
    expect(amount(price, -15.5)).toBe(-47);
  });

  it('given the seed tier list, then it is sorted by up_to and its highest tier covers everything above', () => {
    expect(normalizeTiers(SEED_TIERS)).toEqual({
      ok: true,
      tiers: [
        { upTo: 399, unitAmount: 199, flatAmount: 299 },
        { upTo: null, unitAmount: 399, flatAmount: 100 },
      ],
    });
  });

  it('given graduated tiers, then each tier prices its own units and adds its flat amount once it is reached; up_to is inclusive', () => {
    const price = ok(priceOfValued({ currency: 'USD', tiers_mode: 'graduated', tiers: SEED_TIERS }));
    expect(amount(price, 0)).toBe(299); // quantity 0 reaches the first tier: its flat fee
    expect(amount(price, 399)).toBe(399 * 199 + 299); // the bound itself is in the first tier
    expect(amount(price, 400)).toBe(399 * 199 + 299 + 399 + 100);
    expect(amount(price, 480)).toBe(399 * 199 + 299 + 81 * 399 + 100);
    expect(amount(price, 10_000)).toBe(399 * 199 + 299 + 9601 * 399 + 100);
  });

  it('given volume tiers, then the tier the whole quantity falls in prices every unit', () => {
    const price = ok(
      priceOfValued({
        currency: 'USD',
        tiers_mode: 'volume',
        tiers: [
          { up_to: 'inf', unit_amount: 2, flat_amount: 50 },
          { up_to: 1000, unit_amount: 3 },
        ],
      }),
    );
    expect(amount(price, 0)).toBe(0);
    expect(amount(price, 1000)).toBe(3000);
    expect(amount(price, 1001)).toBe(2002 + 50);
  });

  it('given tiers with a seed-style billing_scheme of per_unit, then the tiers still decide (graduated by default)', () => {
    expect(ok(priceOfValued({ currency: 'USD', billing_scheme: 'per_unit', tiers: SEED_TIERS })).terms).toMatchObject({ scheme: 'graduated' });
  });

  it('given a tier list with no single reading, then it is refused with the reason', () => {
    expect(normalizeTiers([{ up_to: 10, unit_amount: 1 }, { up_to: 10, unit_amount: 2 }])).toEqual({ ok: false, problem: 'tiers: two tiers end at up_to 10' });
    expect(normalizeTiers([{ up_to: null, unit_amount: 1 }, { up_to: 'inf', unit_amount: 2 }])).toEqual({ ok: false, problem: 'tiers: more than one unbounded tier (up_to "inf" or null)' });
    expect(normalizeTiers([{ up_to: 2.5, unit_amount: 1 }])).toEqual({ ok: false, problem: 'tiers[0].up_to: must be a whole number >= 1, "inf" or null, got 2.5' });
    expect(normalizeTiers([{ up_to: 5, unit_amount: -1 }])).toEqual({ ok: false, problem: 'tiers[0].unit_amount: must be a whole number of minor units >= 0' });
    expect(priceOfValued({ currency: 'USD', tiers_mode: 'stairs' as 'volume', tiers: SEED_TIERS })).toEqual({ ok: false, problem: 'tiers_mode: must be graduated or volume, got "stairs"' });
    expect(priceOfValued({ currency: 'USD' })).toEqual({ ok: false, problem: 'unit_amount: a price without tiers needs a unit amount in minor units (a whole number >= 0)' });
  });

  it('given a tiered price and a negative quantity, then it rates 0 units', () => {
    const price = ok(priceOfValued({ currency: 'USD', tiers_mode: 'volume', tiers: [{ up_to: null, unit_amount: 5, flat_amount: 7 }] }));
    expect(amount(price, -3)).toBe(7);
  });
});
