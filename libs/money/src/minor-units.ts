import { minorUnitExponent } from './currency';

export class MoneyError extends RangeError {
  override readonly name = 'MoneyError';
}

/** A plain decimal rendering of a finite number, without exponent notation. */
function plainDecimal(value: number): string {
  const s = String(value);
  if (!/e/i.test(s)) return s;
  return value.toLocaleString('en-US', { useGrouping: false, maximumFractionDigits: 20 });
}

/**
 * Major units (as APIs send them: 499.99 USD, 5000 JPY) to integer minor units (49999, 5000),
 * through the decimal digits, never float multiplication. More decimals than the currency has is an
 * error: 0.001 USD is not an amount of money.
 */
export function toMinorUnits(amount: number, currency: string): number {
  if (!Number.isFinite(amount)) throw new MoneyError(`amount must be a finite number, got ${amount}`);
  const exponent = minorUnitExponent(currency);
  const negative = amount < 0 || Object.is(amount, -0);
  const [whole = '0', fraction = ''] = plainDecimal(Math.abs(amount)).split('.');
  const significant = fraction.replace(/0+$/, '');
  if (significant.length > exponent) {
    throw new MoneyError(`${amount} ${currency.toUpperCase()} has more than ${exponent} decimal place${exponent === 1 ? '' : 's'}`);
  }
  const minor = Number(whole + significant.padEnd(exponent, '0'));
  if (!Number.isSafeInteger(minor)) throw new MoneyError(`${amount} ${currency.toUpperCase()} is too large`);
  return negative && minor !== 0 ? -minor : minor;
}

/** How many decimal places an amount has more than its currency allows; 0 when it fits. */
export function excessDecimals(amount: number, currency: string): number {
  const exponent = minorUnitExponent(currency);
  const fraction = (plainDecimal(Math.abs(amount)).split('.')[1] ?? '').replace(/0+$/, '');
  return Math.max(0, fraction.length - exponent);
}

/** Integer minor units to a decimal string in major units: 49999 USD -> "499.99", 5000 JPY -> "5000". */
export function formatMinorUnits(minor: number, currency: string): string {
  const exponent = minorUnitExponent(currency);
  if (exponent === 0) return String(minor);
  const sign = minor < 0 ? '-' : '';
  const digits = String(Math.abs(minor)).padStart(exponent + 1, '0');
  return `${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

/**
 * Rounds a rational amount of minor units (numerator / denominator, both integers) to the nearest
 * integer, halves away from zero. Used where a rule divides (normalizing a year to a month).
 */
export function roundRational(numerator: bigint, denominator: bigint): bigint {
  if (denominator === 0n) throw new MoneyError('division by zero');
  const negative = (numerator < 0n) !== (denominator < 0n);
  const n = numerator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  const q = n / d;
  const r = n % d;
  const rounded = r * 2n >= d ? q + 1n : q;
  return negative ? -rounded : rounded;
}
