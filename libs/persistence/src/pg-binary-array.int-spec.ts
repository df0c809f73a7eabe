import fc from 'fast-check';
import { Client } from 'pg';
import { boolArray, int4Array, int8Array, numericArray, textArray } from '@revstream/persistence';

describe('binary array parameters against the real Postgres', () => {
  const client = new Client({ connectionString: process.env.DATABASE_URL! });

  beforeAll(async () => {
    await client.connect();
  });

  afterAll(async () => {
    await client.end();
  });

  it('arrive as the same text, integers and booleans, nulls and empty arrays included', async () => {
    const texts = ['plain', '', 'with "quotes", {braces} and \\backslash', 'ünïcødé 😀', 'ascii then é', 'x'.repeat(64), 'y'.repeat(63) + 'é', 'z'.repeat(200), 'NULL', null, ' spaced '];
    const [row] = (
      await client.query<{ t: Array<string | null>; e: string[]; i8: string[]; i4: number[]; b: Array<boolean | null> }>(
        'SELECT $1::text[] AS t, $2::text[] AS e, $3::bigint[]::text[] AS i8, $4::int[] AS i4, $5::bool[] AS b',
        [textArray(texts), textArray([]), int8Array([0, 1, -1, 1_763_700_000_123, -1_763_700_000_123, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 9_223_372_036_854_775_807n, -42n, null]), int4Array([0, -5, 2_147_483_647, null]), boolArray([true, false, null])],
      )
    ).rows;
    expect(row!.t).toEqual(texts);
    expect(row!.e).toEqual([]);
    expect(row!.i8).toEqual(['0', '1', '-1', '1763700000123', '-1763700000123', String(Number.MAX_SAFE_INTEGER), String(Number.MIN_SAFE_INTEGER), '9223372036854775807', '-42', null]);
    expect(row!.i4).toEqual([0, -5, 2_147_483_647, null]);
    expect(row!.b).toEqual([true, false, null]);
  });

  it('refuses integers it cannot send exactly', () => {
    expect(() => int8Array([2 ** 53])).toThrow(/not a safe integer/);
    expect(() => int8Array([1.5])).toThrow(/not a safe integer/);
  });

  it('sends any decimal as the numeric Postgres parses from its text, with the same display scale', async () => {
    const decimal = fc.oneof(
      fc.record({ coefficient: fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }), scale: fc.integer({ min: 0, max: 30 }) }),
      // whole numbers up to 2^53 take a faster path: around its edges and group boundaries too
      fc.record({ coefficient: fc.oneof(fc.bigInt({ min: -(10n ** 16n), max: 10n ** 16n }), fc.constantFrom(0n, 9999n, 10000n, 10001n, 100000000n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 10n ** 16n - 1n, -(2n ** 53n) + 1n, -(2n ** 53n), -10000n)), scale: fc.constant(0) }),
      fc.record({ coefficient: fc.bigInt({ min: -100_000n, max: 100_000n }), scale: fc.integer({ min: 0, max: 6 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.option(decimal, { nil: null }), { maxLength: 20 }), async (values) => {
        const text = values.map((d) => {
          if (d === null) return null;
          const negative = d.coefficient < 0n;
          const digits = (negative ? -d.coefficient : d.coefficient).toString().padStart(d.scale + 1, '0');
          return `${negative ? '-' : ''}${d.scale === 0 ? digits : `${digits.slice(0, -d.scale)}.${digits.slice(-d.scale)}`}`;
        });
        const [row] = (await client.query<{ same: boolean; shown: Array<string | null> }>(
          'SELECT $1::numeric[]::text[] AS shown, $1::numeric[]::text[] IS NOT DISTINCT FROM $2::numeric[]::text[] AS same',
          [numericArray(values), text],
        )).rows;
        expect(row!.shown).toEqual(text);
        expect(row!.same).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
