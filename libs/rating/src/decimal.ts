/**
 * Exact decimals for usage quantities. Sources send JSON numbers (Revenium's `storageGB: 15.5`);
 * floats would make a sum depend on the order it was added in, and projections must not. A decimal
 * is an integer coefficient and a power-of-ten scale: 15.5 is {coefficient: 155n, scale: 1}. Its
 * text form is canonical (no exponent, no trailing fractional zeros), so the same quantity is always
 * the same string, here and in Postgres (`trim_scale(numeric)`).
 */
export interface Decimal {
  readonly coefficient: bigint;
  readonly scale: number;
}

export class DecimalError extends RangeError {
  override readonly name = 'DecimalError';
}

const DECIMAL_TEXT = /^(-)?(\d+)(?:\.(\d+))?$/;
const POW10: bigint[] = [1n];
const pow10 = (n: number): bigint => {
  while (POW10.length <= n) POW10.push(POW10[POW10.length - 1]! * 10n);
  return POW10[n]!;
};

/** Shared, frozen decimals for small whole numbers (the usual reading). */
const SMALL_INTEGERS: Decimal[] = Array.from({ length: 4096 }, (_, i) => Object.freeze({ coefficient: BigInt(i), scale: 0 }));

export const ZERO: Decimal = { coefficient: 0n, scale: 0 };

/** Removes trailing fractional zeros: the one representation of a value. */
function normalize(coefficient: bigint, scale: number): Decimal {
  let c = coefficient;
  let s = scale;
  while (s > 0 && c % 10n === 0n) {
    c /= 10n;
    s--;
  }
  return { coefficient: c, scale: s };
}

/** Parses a plain decimal string ("150", "-0.25"). Exponents and other forms are refused. */
export function parseDecimal(text: string): Decimal {
  // Whole numbers of up to 15 digits (what Postgres returns for nearly every sum and count): no regex, no BigInt division.
  if (text.length > 0 && text.length <= 15 && allDigits(text)) {
    const n = Number(text);
    return n < SMALL_INTEGERS.length ? SMALL_INTEGERS[n]! : { coefficient: BigInt(n), scale: 0 };
  }
  const m = DECIMAL_TEXT.exec(text);
  if (!m) throw new DecimalError(`not a plain decimal number: ${JSON.stringify(text)}`);
  const fraction = m[3] ?? '';
  const coefficient = BigInt(m[2]! + fraction);
  return normalize(m[1] ? -coefficient : coefficient, fraction.length);
}

function allDigits(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * A JSON number as the decimal it was written as: JavaScript prints the shortest string that reads
 * back as the same double, so 0.1 is exactly 0.1, not 0.1000000000000000055…
 */

export function decimalFromNumber(value: number): Decimal {
  if (!Number.isFinite(value)) throw new DecimalError(`not a finite number: ${value}`);
  if (Number.isSafeInteger(value)) return value >= 0 && value < SMALL_INTEGERS.length ? SMALL_INTEGERS[value]! : { coefficient: BigInt(value), scale: 0 };
  const text = String(value);
  const exp = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!exp) return parseDecimal(text);
  const digits = exp[2]! + (exp[3] ?? '');
  const scale = (exp[3] ?? '').length - Number(exp[4]);
  const coefficient = BigInt(digits) * (scale < 0 ? pow10(-scale) : 1n);
  return normalize(exp[1] ? -coefficient : coefficient, Math.max(0, scale));
}

export function formatDecimal(d: Decimal): string {
  if (d.scale === 0) return d.coefficient.toString();
  const negative = d.coefficient < 0n;
  const digits = (negative ? -d.coefficient : d.coefficient).toString().padStart(d.scale + 1, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -d.scale)}.${digits.slice(-d.scale)}`;
}

const align = (a: Decimal, b: Decimal): [bigint, bigint, number] => {
  const scale = Math.max(a.scale, b.scale);
  return [a.coefficient * pow10(scale - a.scale), b.coefficient * pow10(scale - b.scale), scale];
};

export function addDecimal(a: Decimal, b: Decimal): Decimal {
  if (a.scale === b.scale) return normalize(a.coefficient + b.coefficient, a.scale);
  const [x, y, scale] = align(a, b);
  return normalize(x + y, scale);
}

export function subtractDecimal(a: Decimal, b: Decimal): Decimal {
  return addDecimal(a, { coefficient: -b.coefficient, scale: b.scale });
}

export function compareDecimal(a: Decimal, b: Decimal): -1 | 0 | 1 {
  const [x, y] = a.scale === b.scale ? [a.coefficient, b.coefficient] : align(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export const minDecimal = (a: Decimal, b: Decimal): Decimal => (compareDecimal(a, b) <= 0 ? a : b);
export const maxDecimal = (a: Decimal, b: Decimal): Decimal => (compareDecimal(a, b) >= 0 ? a : b);

export const decimalFromInteger = (value: number | bigint): Decimal => ({ coefficient: BigInt(value), scale: 0 });

/** The value as a rational numerator over 10^scale, for rounding money once at the end. */
export const denominatorOf = (d: Decimal): bigint => pow10(d.scale);

/** Rescales a decimal's coefficient to a larger scale (for summing rationals with one denominator). */
export const coefficientAt = (d: Decimal, scale: number): bigint => {
  if (scale < d.scale) throw new DecimalError(`cannot express ${formatDecimal(d)} at scale ${scale}`);
  return d.coefficient * pow10(scale - d.scale);
};

/** A JavaScript number for JSON output. Exact for every value a source can send. */
export const decimalToNumber = (d: Decimal): number => Number(formatDecimal(d));
