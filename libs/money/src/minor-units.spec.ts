import { excessDecimals, formatMinorUnits, roundRational, toMinorUnits } from './minor-units';
import { minorUnitExponent, normalizeCurrency } from './currency';

describe('money: integer minor units', () => {
  it.each([
    [499.99, 'USD', 49999],
    [499, 'usd', 49900],
    [0.1 + 0.2 > 0.3 ? 0.3 : 0.3, 'USD', 30],
    [5000, 'JPY', 5000],
    [1.234, 'KWD', 1234],
    [-12.5, 'EUR', -1250],
    [1e21, 'JPY', NaN],
  ])('%p %s is %p minor units', (amount, currency, minor) => {
    if (Number.isNaN(minor)) {
      expect(() => toMinorUnits(amount, currency)).toThrow(/too large/);
    } else {
      expect(toMinorUnits(amount, currency)).toBe(minor);
    }
  });

  it('never multiplies floats: 1.005 USD is refused rather than silently rounded', () => {
    expect(() => toMinorUnits(1.005, 'USD')).toThrow(/more than 2 decimal places/);
    expect(excessDecimals(1.005, 'USD')).toBe(1);
    expect(excessDecimals(10.5, 'JPY')).toBe(1);
  });

  it('knows zero- and three-decimal currencies', () => {
    expect(minorUnitExponent('JPY')).toBe(0);
    expect(minorUnitExponent('usd')).toBe(2);
    expect(minorUnitExponent('BHD')).toBe(3);
    expect(() => normalizeCurrency('dollars')).toThrow(/ISO 4217/);
  });

  it('formats minor units back to major', () => {
    expect(formatMinorUnits(16667, 'USD')).toBe('166.67');
    expect(formatMinorUnits(-5, 'USD')).toBe('-0.05');
    expect(formatMinorUnits(5000, 'JPY')).toBe('5000');
  });

  it('rounds rationals half away from zero', () => {
    expect(roundRational(200000n, 12n)).toBe(16667n);
    expect(roundRational(5n, 2n)).toBe(3n);
    expect(roundRational(-5n, 2n)).toBe(-3n);
    expect(roundRational(4n, 3n)).toBe(1n);
  });
});
