import fc from 'fast-check';
import { canonicalInstantMs, instantMs } from './instant';

/** Any string of the form instantMs reads by hand (`YYYY-MM-DDTHH:MM:SS.mmmZ`), its digits sometimes not digits. */
const digit = fc.constantFrom(...'0123456789x'.split(''));
const field = (n: number): fc.Arbitrary<string> => fc.array(digit, { minLength: n, maxLength: n }).map((d) => d.join(''));
const fastForm = fc
  .tuple(field(4), field(2), field(2), field(2), field(2), field(2), field(3))
  .map(([y, mo, d, h, mi, s, ms]) => `${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`);

describe('instantMs', () => {
  it('reads every toISOString instant as Date.parse does', () => {
    fc.assert(
      fc.property(fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 }), (ms) => {
        const iso = new Date(ms).toISOString();
        expect(instantMs(iso)).toBe(Date.parse(iso));
        expect(instantMs(iso)).toBe(ms);
      }),
      { numRuns: 5_000 },
    );
  });

  it('agrees with Date.parse on near-misses: other forms, impossible fields, stray characters', () => {
    const samples = [
      '2026-02-29T00:00:00.000Z', '2026-02-30T12:00:00.000Z', '2026-04-31T00:00:00.000Z', '2028-02-29T23:59:59.999Z',
      '2026-13-01T00:00:00.000Z', '2026-00-10T00:00:00.000Z', '2026-01-00T00:00:00.000Z', '2026-01-01T24:00:00.000Z',
      '2026-01-01T23:60:00.000Z', '2026-01-01T23:59:60.000Z', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00.5Z',
      '2026-01-01T00:00:00.000+02:00', '2026-0a-01T00:00:00.000Z', '0042-03-04T05:06:07.089Z', '0000-01-01T00:00:00.000Z',
      '2026-01-01 00:00:00.000Z', 'not a date at all, 24ch', '',
    ];
    for (const s of samples) expect([s, instantMs(s)]).toEqual([s, Date.parse(s)]);
  });

  it('agrees with Date.parse on any string of the fast form', () => {
    fc.assert(
      fc.property(fastForm, (iso) => {
        expect(instantMs(iso)).toBe(Date.parse(iso));
      }),
      { numRuns: 5_000 },
    );
  });
});

describe('canonicalInstantMs: a valid instant whenever it is not NaN', () => {
  const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

  it('reads any string of the fast form as Date.parse does, or gives NaN; never NaN for a valid one it reads', () => {
    fc.assert(
      fc.property(fastForm, (iso) => {
        const read = canonicalInstantMs(iso);
        if (Number.isNaN(read)) return;
        expect(ISO_INSTANT.test(iso)).toBe(true);
        expect(read).toBe(Date.parse(iso));
      }),
      { numRuns: 5_000 },
    );
  });

  it('reads the same whatever was read just before (it remembers the last two strings)', () => {
    const canonical = fc.integer({ min: 0, max: 4_102_444_800_000 }).map((ms) => new Date(ms).toISOString());
    fc.assert(
      fc.property(fc.array(fc.oneof(canonical, fastForm), { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 20 }), (strings, picks) => {
        // Each string read with nothing remembered: two other strings read first.
        const alone = strings.map((iso) => (canonicalInstantMs('flush: one'), canonicalInstantMs('flush: two'), canonicalInstantMs(iso)));
        for (const i of [0, ...picks]) expect(canonicalInstantMs(strings[i % strings.length]!)).toBe(alone[i % strings.length]);
      }),
      { numRuns: 2_000 },
    );
  });

  it('gives NaN for the other forms, which the full check judges', () => {
    for (const s of ['2026-01-01T00:00:00Z', '2026-01-01T00:00:00.000+02:00', '2026-01-31T00:00:00.000Z', '0042-03-04T05:06:07.089Z', '2026-01-01 00:00:00.000Z', '']) {
      expect([s, canonicalInstantMs(s)]).toEqual([s, Number.NaN]);
    }
    expect(canonicalInstantMs('2026-04-01T12:34:56.789Z')).toBe(Date.UTC(2026, 3, 1, 12, 34, 56, 789));
  });
});
