/**
 * One-dimensional Postgres arrays as binary query parameters (the `array_send` format), for the
 * statements that pass a batch as columns (`unnest($1::text[], $2::bigint[], …)`). node-postgres sends
 * a Buffer parameter in binary format; a JavaScript array it would print as an array literal,
 * quoting and escaping every element, and Postgres would parse it back. Binary skips both: each
 * element goes as its length and its bytes. The parameter's SQL type must be the array's
 * (`$1::text[]` for `textArray`, `$2::bigint[]` for `int8Array`, …): Postgres checks the element type.
 */

const OID = { bool: 16, int8: 20, int4: 23, text: 25, numeric: 1700 } as const;
type ElementType = keyof typeof OID;

const HEADER = 20; // ndim, has-nulls flag, element type, then the one dimension's length and lower bound
const TWO_32 = 2 ** 32;

function header(buf: Buffer, type: ElementType, length: number, hasNulls: boolean): number {
  if (length === 0) {
    buf.writeInt32BE(0, 0);
    buf.writeInt32BE(0, 4);
    buf.writeInt32BE(OID[type], 8);
    return 12;
  }
  buf.writeInt32BE(1, 0);
  buf.writeInt32BE(hasNulls ? 1 : 0, 4);
  buf.writeInt32BE(OID[type], 8);
  buf.writeInt32BE(length, 12);
  buf.writeInt32BE(1, 16);
  return HEADER;
}

/** `text[]` (also for `$1::text[]` parameters that SQL casts on, e.g. to numeric with `::numeric[]`). */
export function textArray(values: ReadonlyArray<string | null>): Buffer {
  let bound = HEADER;
  let hasNulls = false;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === null) hasNulls = true;
    else bound += 4 + v.length * 3; // a UTF-16 code unit is at most 3 UTF-8 bytes
  }
  bound += values.length * 4;
  const buf = Buffer.allocUnsafe(bound);
  let off = header(buf, 'text', values.length, hasNulls);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === null) {
      buf.writeInt32BE(-1, off);
      off += 4;
      continue;
    }
    const n = buf.write(v, off + 4, 'utf8');
    buf.writeInt32BE(n, off);
    off += 4 + n;
  }
  return buf.subarray(0, off);
}

/** `bigint[]` from safe integers (epoch milliseconds, counts) or bigints (money in minor units). */
export function int8Array(values: ReadonlyArray<number | bigint | null>): Buffer {
  const hasNulls = values.includes(null);
  const buf = Buffer.allocUnsafe(HEADER + values.length * 12);
  let off = header(buf, 'int8', values.length, hasNulls);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === null) {
      buf.writeInt32BE(-1, off);
      off += 4;
      continue;
    }
    if (typeof v === 'bigint') {
      buf.writeInt32BE(8, off);
      buf.writeBigInt64BE(v, off + 4);
      off += 12;
      continue;
    }
    if (!Number.isSafeInteger(v)) throw new RangeError(`int8Array: ${v} is not a safe integer`);
    writeInt8Element(buf, off, v);
    off += 12;
  }
  return buf.subarray(0, off);
}

/**
 * One int8 element (its length, 8, then the value) at `off`, from a safe integer: 12 bytes. Byte by
 * byte: handing a value past 2^31 to writeUInt32BE boxes it (an allocation per element).
 */
export function writeInt8Element(buf: Buffer, off: number, v: number): void {
  const hi = Math.floor(v / TWO_32);
  const lo = v - hi * TWO_32;
  buf[off] = 0;
  buf[off + 1] = 0;
  buf[off + 2] = 0;
  buf[off + 3] = 8;
  buf[off + 4] = (hi >> 24) & 0xff;
  buf[off + 5] = (hi >> 16) & 0xff;
  buf[off + 6] = (hi >> 8) & 0xff;
  buf[off + 7] = hi & 0xff;
  buf[off + 8] = (lo >>> 24) & 0xff;
  buf[off + 9] = (lo >>> 16) & 0xff;
  buf[off + 10] = (lo >>> 8) & 0xff;
  buf[off + 11] = lo & 0xff;
}

/** An array of fixed-width elements: each a length of `width`, then its bytes, written by `write`. */
function fixedWidthArray<T>(values: ReadonlyArray<T | null>, type: ElementType, width: number, write: (buf: Buffer, off: number, value: T) => void): Buffer {
  const hasNulls = values.includes(null);
  const buf = Buffer.allocUnsafe(HEADER + values.length * (4 + width));
  let off = header(buf, type, values.length, hasNulls);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === null) {
      buf.writeInt32BE(-1, off);
      off += 4;
      continue;
    }
    buf.writeInt32BE(width, off);
    write(buf, off + 4, v);
    off += 4 + width;
  }
  return buf.subarray(0, off);
}

/** `int[]`. */
export const int4Array = (values: ReadonlyArray<number | null>): Buffer => fixedWidthArray(values, 'int4', 4, (buf, off, v) => buf.writeInt32BE(v, off));

/** `boolean[]`. */
export const boolArray = (values: ReadonlyArray<boolean | null>): Buffer =>
  fixedWidthArray(values, 'bool', 1, (buf, off, v) => {
    buf[off] = v ? 1 : 0;
  });

/** An exact decimal: an integer coefficient over 10^scale (scale ≥ 0). */
export interface DecimalValue {
  readonly coefficient: bigint;
  readonly scale: number;
}

const NUMERIC_NEG = 0x4000;

/**
 * `numeric[]` from exact decimals. The display scale is the decimal's scale, so `{155n, 1}` arrives as
 * Postgres would parse '15.5' (and prints back as 15.5).
 */
export function numericArray(values: ReadonlyArray<DecimalValue | null>): Buffer {
  // Whole numbers up to 2^53 (nearly every quantity and sum) are written straight from a Number;
  // anything else goes through its digits. Per element: 4 (length) + 8 (ndigits, weight, sign,
  // dscale) + 2 per base-10000 digit, at most 4 digits on the fast path.
  const general = new Map<number, [number[], number]>();
  let bound = HEADER;
  let hasNulls = false;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === null) {
      hasNulls = true;
      bound += 4;
    } else if (isSmallWhole(v)) {
      bound += 12 + 8;
    } else {
      const digits = numericDigits(v);
      general.set(i, digits);
      bound += 12 + digits[0].length * 2;
    }
  }
  const buf = Buffer.allocUnsafe(bound);
  let off = header(buf, 'numeric', values.length, hasNulls);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === null) {
      buf.writeInt32BE(-1, off);
      off += 4;
      continue;
    }
    off = writeNumericElement(buf, off, v, general.get(i));
  }
  return buf.subarray(0, off);
}

/** Whether a decimal takes the fast path: a whole number a Number holds exactly (at most 20 bytes as an element). */
export const isSmallWhole = (v: DecimalValue): boolean => v.scale === 0 && v.coefficient > -FAST_LIMIT && v.coefficient < FAST_LIMIT;

const groups: number[] = [0, 0, 0, 0];

/**
 * One numeric element (its length, then the value) at `off`; returns the offset after it. A small
 * whole number needs at most 20 bytes; anything else its `numericDigits`, passed as `digits`
 * (12 bytes and 2 per digit).
 */
export function writeNumericElement(buf: Buffer, off: number, v: DecimalValue, digits?: [number[], number]): number {
  const sign = v.coefficient < 0n ? NUMERIC_NEG : 0;
  if (digits === undefined) {
    // A whole number: its base-10000 digits, least significant first; trailing zero groups are dropped.
    let abs = Math.abs(Number(v.coefficient));
    let count = 0;
    while (abs > 0) {
      groups[count++] = abs % 10000;
      abs = Math.floor(abs / 10000);
    }
    let low = 0;
    while (low < count && groups[low] === 0) low++;
    const n = count - low;
    off = numericHeader(buf, off, n, n === 0 ? 0 : count - 1, sign, 0);
    for (let k = count - 1; k >= low; k--) {
      buf.writeInt16BE(groups[k]!, off);
      off += 2;
    }
    return off;
  }
  const [ds, weight] = digits;
  off = numericHeader(buf, off, ds.length, ds.length === 0 ? 0 : weight, sign, v.scale);
  for (const d of ds) {
    buf.writeInt16BE(d, off);
    off += 2;
  }
  return off;
}

const FAST_LIMIT = BigInt(Number.MAX_SAFE_INTEGER) + 1n; // whole numbers a Number holds exactly

function numericHeader(buf: Buffer, off: number, ndigits: number, weight: number, sign: number, dscale: number): number {
  buf.writeInt32BE(8 + ndigits * 2, off);
  buf.writeInt16BE(ndigits, off + 4);
  buf.writeInt16BE(weight, off + 6);
  buf.writeUInt16BE(sign, off + 8);
  buf.writeInt16BE(dscale, off + 10);
  return off + 12;
}

/** The base-10000 digits of |value| without leading or trailing zero groups, and the weight of the first. */
export function numericDigits(v: DecimalValue): [number[], number] {
  if (v.scale < 0 || !Number.isInteger(v.scale)) throw new RangeError(`numericArray: scale ${v.scale} must be a non-negative integer`);
  const abs = v.coefficient < 0n ? -v.coefficient : v.coefficient;
  if (abs === 0n) return [[], 0];
  if (v.scale === 0 && abs < 10000n) return [[Number(abs)], 0];
  const digits = abs.toString();
  const intLength = digits.length - v.scale;
  // Align to groups of four around the decimal point: pad the integer part on the left, the fraction on the right.
  const intGroups = intLength > 0 ? Math.ceil(intLength / 4) : 0;
  const leftPad = intLength > 0 ? intGroups * 4 - intLength : 0;
  const fracDigits = Math.max(v.scale, 0);
  const fracLeadingZeros = intLength < 0 ? -intLength : 0;
  const fracGroups = Math.ceil(fracDigits / 4);
  const padded =
    '0'.repeat(leftPad) + (intLength < 0 ? '0'.repeat(fracLeadingZeros) + digits : digits) + '0'.repeat(fracGroups * 4 - fracDigits);
  const groups: number[] = [];
  for (let i = 0; i < padded.length; i += 4) groups.push(Number(padded.slice(i, i + 4)));
  let weight = intGroups - 1;
  let start = 0;
  while (start < groups.length && groups[start] === 0) {
    start++;
    weight--;
  }
  let end = groups.length;
  while (end > start && groups[end - 1] === 0) end--;
  return [groups.slice(start, end), weight];
}
