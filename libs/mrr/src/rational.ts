import { roundRational } from '@revstream/money';

/**
 * An exact amount of minor units: numerator / denominator, reduced, denominator > 0. MRR rules divide
 * (a year by 12, a week by 12/52), so amounts stay rational until they are rounded, once.
 */
export interface Rational {
  readonly n: bigint;
  readonly d: bigint;
}

const abs = (x: bigint): bigint => (x < 0n ? -x : x);

function gcd(a: bigint, b: bigint): bigint {
  let x = abs(a);
  let y = abs(b);
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

export function rational(n: bigint, d: bigint = 1n): Rational {
  if (d === 0n) throw new RangeError('rational with a zero denominator');
  if (n === 0n) return ZERO;
  const sign = d < 0n ? -1n : 1n;
  const g = gcd(n, d);
  return { n: (sign * n) / g, d: (sign * d) / g };
}

export const ZERO: Rational = { n: 0n, d: 1n };

export const add = (a: Rational, b: Rational): Rational => (a.d === b.d ? rational(a.n + b.n, a.d) : rational(a.n * b.d + b.n * a.d, a.d * b.d));
export const sub = (a: Rational, b: Rational): Rational => add(a, { n: -b.n, d: b.d });
export const mul = (a: Rational, b: Rational): Rational => rational(a.n * b.n, a.d * b.d);
export const isZero = (a: Rational): boolean => a.n === 0n;
export const isNegative = (a: Rational): boolean => a.n < 0n;
export const equals = (a: Rational, b: Rational): boolean => a.n === b.n && a.d === b.d;

/** The one rounding of the MRR rules: to whole minor units, halves away from zero. */
export const roundToMinor = (a: Rational): bigint => roundRational(a.n, a.d);

/** "n/d" (or "n" when whole): how a rational is kept in JSON documents. */
export const formatRational = (a: Rational): string => (a.d === 1n ? a.n.toString() : `${a.n}/${a.d}`);

export function parseRational(text: string): Rational {
  const slash = text.indexOf('/');
  return slash < 0 ? rational(BigInt(text)) : rational(BigInt(text.slice(0, slash)), BigInt(text.slice(slash + 1)));
}
