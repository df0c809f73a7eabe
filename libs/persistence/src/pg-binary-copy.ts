import { type DecimalValue, isSmallWhole, numericDigits, writeInt8Element, writeNumericElement } from './pg-binary-array';

/**
 * `COPY … FROM STDIN (FORMAT binary)` data, written row by row: each field is its length (or -1 for
 * null) and its bytes in Postgres's binary form, the same as a binary array's element
 * (pg-binary-array). Postgres parses nothing: no text to scan, no numbers or instants to read back.
 * Fields must come in the order of the COPY's column list, each of its column's type.
 */
export class BinaryCopyWriter {
  private buf: Buffer;
  private off = 0;

  constructor(sizeHint = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(Math.max(64, sizeHint));
    this.buf.write('PGCOPY\n\xff\r\n\0', 0, 'latin1');
    this.buf.writeInt32BE(0, 11); // flags: no OIDs
    this.buf.writeInt32BE(0, 15); // no header extension
    this.off = 19;
  }

  /** Starts a row of `fields` fields. */
  row(fields: number): this {
    this.room(2);
    this.buf.writeInt16BE(fields, this.off);
    this.off += 2;
    return this;
  }

  text(value: string | null): this {
    if (value === null) return this.nul();
    this.room(4 + value.length * 3);
    const buf = this.buf;
    const start = this.off + 4;
    let o = start;
    for (let i = 0; i < value.length; i++) {
      const code = value.charCodeAt(i);
      if (code >= 0x80) {
        // Not ASCII: the whole value through the UTF-8 encoder.
        o = start + buf.write(value, start, 'utf8');
        break;
      }
      buf[o++] = code;
    }
    buf.writeInt32BE(o - start, this.off);
    this.off = o;
    return this;
  }

  /** A bigint column's value from a safe integer, or a bigint (a signed 64-bit one). */
  int8(value: number | bigint | null): this {
    if (value === null) return this.nul();
    if (typeof value === 'bigint') {
      this.room(12);
      this.buf.writeInt32BE(8, this.off);
      this.buf.writeBigInt64BE(value, this.off + 4);
      this.off += 12;
      return this;
    }
    if (!Number.isSafeInteger(value)) throw new RangeError(`BinaryCopyWriter: ${value} is not a safe integer`);
    this.room(12);
    writeInt8Element(this.buf, this.off, value);
    this.off += 12;
    return this;
  }

  /** A timestamptz column's value from epoch milliseconds (Postgres: microseconds since 2000-01-01). */
  timestamptz(epochMs: number | null): this {
    if (epochMs === null) return this.nul();
    if (!Number.isSafeInteger(epochMs)) throw new RangeError(`BinaryCopyWriter: ${epochMs} is not whole epoch milliseconds`);
    const micros = epochMs * 1000 - PG_EPOCH_US;
    if (Number.isSafeInteger(micros)) return this.int8(micros);
    // Beyond about 285 years from 2000, microseconds outgrow a Number: exact through a BigInt.
    return this.int8(BigInt(epochMs) * 1000n - BigInt(PG_EPOCH_US));
  }

  numeric(value: DecimalValue | null): this {
    if (value === null) return this.nul();
    const digits = isSmallWhole(value) ? undefined : numericDigits(value);
    this.room(12 + (digits ? digits[0].length * 2 : 8));
    this.off = writeNumericElement(this.buf, this.off, value, digits);
    return this;
  }

  nul(): this {
    this.room(4);
    this.buf.writeInt32BE(-1, this.off);
    this.off += 4;
    return this;
  }

  /** The data, with its trailer. The writer is done. */
  finish(): Buffer {
    this.room(2);
    this.buf.writeInt16BE(-1, this.off);
    this.off += 2;
    return this.buf.subarray(0, this.off);
  }

  private room(bytes: number): void {
    if (this.off + bytes <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.off + bytes));
    this.buf.copy(bigger, 0, 0, this.off);
    this.buf = bigger;
  }
}

/** Microseconds from 1970-01-01 to 2000-01-01, the epoch of Postgres's binary timestamps. */
const PG_EPOCH_US = 946_684_800_000_000;
