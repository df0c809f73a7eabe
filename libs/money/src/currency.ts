/** ISO 4217 minor-unit exponents that differ from 2. Everything else has cents. */
const ZERO_DECIMAL = new Set([
  'BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'UYI', 'VND', 'VUV', 'XAF', 'XOF', 'XPF',
]);
const THREE_DECIMAL = new Set(['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND']);

export const CURRENCY_PATTERN = /^[A-Z]{3}$/;

/** Upper-cases and checks a currency code. Throws on anything but three letters. */
export function normalizeCurrency(code: string): string {
  const upper = code.trim().toUpperCase();
  if (!CURRENCY_PATTERN.test(upper)) throw new RangeError(`not an ISO 4217 currency code: ${JSON.stringify(code)}`);
  return upper;
}

/** Digits after the decimal point in the currency's minor unit: JPY 0, USD 2, KWD 3. */
export function minorUnitExponent(currency: string): number {
  const c = normalizeCurrency(currency);
  if (ZERO_DECIMAL.has(c)) return 0;
  if (THREE_DECIMAL.has(c)) return 3;
  return 2;
}
