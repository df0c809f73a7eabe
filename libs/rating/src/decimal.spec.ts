import fc from 'fast-check';
import { addDecimal, compareDecimal, decimalFromNumber, formatDecimal, parseDecimal, subtractDecimal } from './decimal';

describe('exact decimals for usage quantities', () => {
  it.each([
    [150, '150'],
    [15.5, '15.5'],
    [0.1, '0.1'],
    [-0.25, '-0.25'],
    [1e21, '1000000000000000000000'],
    [1.5e-7, '0.00000015'],
    [0, '0'],
  ])('reads the JSON number %p as the decimal %s', (n, text) => {
    expect(formatDecimal(decimalFromNumber(n))).toBe(text);
  });

  it('adds exactly, whatever the order: 0.1 + 0.2 is 0.3, not 0.30000000000000004', () => {
    const [a, b, c] = [0.1, 0.2, 0.7].map(decimalFromNumber);
    expect(formatDecimal(addDecimal(addDecimal(a!, b!), c!))).toBe('1');
    expect(formatDecimal(addDecimal(a!, addDecimal(c!, b!)))).toBe('1');
    expect(formatDecimal(addDecimal(a!, b!))).toBe('0.3');
  });

  it('has one text form per value: trailing zeros go, as trim_scale does in Postgres', () => {
    expect(formatDecimal(parseDecimal('2.50'))).toBe('2.5');
    expect(formatDecimal(addDecimal(parseDecimal('0.25'), parseDecimal('0.25')))).toBe('0.5');
    expect(formatDecimal(subtractDecimal(parseDecimal('1'), parseDecimal('1.75')))).toBe('-0.75');
  });

  it('reads any run of digits as that whole number, leading zeros and all (the short ones take a faster path)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...'0123456789'.split('')), { minLength: 1, maxLength: 22 }), (digits) => {
        const text = digits.join('');
        expect(parseDecimal(text)).toEqual({ coefficient: BigInt(text), scale: 0 });
      }),
      { numRuns: 2_000 },
    );
    expect(parseDecimal('999999999999999')).toEqual({ coefficient: 999_999_999_999_999n, scale: 0 });
    expect(() => parseDecimal('')).toThrow(/not a plain decimal/);
  });

  it('compares across scales and refuses what is not a plain decimal', () => {
    expect(compareDecimal(parseDecimal('1.5'), parseDecimal('1.50'))).toBe(0);
    expect(compareDecimal(parseDecimal('-2'), parseDecimal('1.5'))).toBe(-1);
    expect(() => parseDecimal('1e5')).toThrow(/not a plain decimal/);
    expect(() => decimalFromNumber(Number.NaN)).toThrow(/finite/);
  });
});
