import fc from 'fast-check';
import { intersect, normalize, union } from './intervals';
import { addSpan, lastSpanAtOrBefore, type Span, SPAN_GAP_MS } from './spans';

const point = (at: number, id = `e${at}`): Span => ({ s: at, e: at, id, ev: null });
const fold = (points: Span[]): readonly Span[] => points.reduce<readonly Span[]>((acc, p) => addSpan(acc, p), []);

describe('spans: events kept as runs no more than a day apart', () => {
  it('given events exactly one day apart, then they are one span; a millisecond more, two', () => {
    expect(fold([point(0), point(SPAN_GAP_MS)])).toEqual([{ s: 0, e: SPAN_GAP_MS, id: `e${SPAN_GAP_MS}`, ev: null }]);
    expect(fold([point(0), point(SPAN_GAP_MS + 1)])).toHaveLength(2);
  });

  it('given an event that bridges two spans, then they become one, ending at the last event', () => {
    const spans = fold([point(0), point(2 * SPAN_GAP_MS), point(SPAN_GAP_MS)]);
    expect(spans).toEqual([{ s: 0, e: 2 * SPAN_GAP_MS, id: `e${2 * SPAN_GAP_MS}`, ev: null }]);
  });

  it('given two events at the same instant, then the span ends on the greater event id', () => {
    expect(fold([point(5, 'b'), point(5, 'a')])[0]!.id).toBe('b');
    expect(fold([point(5, 'a'), point(5, 'b')])[0]!.id).toBe('b');
  });

  it('given the same event twice, then nothing changes (the same array comes back)', () => {
    const once = fold([point(0), point(10)]);
    expect(addSpan(once, point(10))).toBe(once);
  });

  it('property: any order, any repetition of the same events gives the same spans', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 30 * SPAN_GAP_MS }), { minLength: 1, maxLength: 40 }), fc.integer(), (times, seed) => {
        const events = times.map((t) => point(t));
        const shuffled = [...events, ...events.slice(0, 5)].sort((a, b) => ((a.s * 7919 + seed) % 101) - ((b.s * 7919 + seed) % 101));
        expect(fold(shuffled)).toEqual(fold(events));
      }),
    );
  });

  it('finds the latest span started at or before an instant', () => {
    const spans = fold([point(0), point(5 * SPAN_GAP_MS)]);
    expect(lastSpanAtOrBefore(spans, 4 * SPAN_GAP_MS)?.s).toBe(0);
    expect(lastSpanAtOrBefore(spans, 5 * SPAN_GAP_MS)?.s).toBe(5 * SPAN_GAP_MS);
    expect(lastSpanAtOrBefore(spans, -1)).toBeUndefined();
  });
});

describe('intervals: half-open [start, end)', () => {
  it('merges overlapping and touching intervals, and intersects', () => {
    expect(normalize([{ start: 5, end: 8 }, { start: 0, end: 5 }, { start: 10, end: 10 }])).toEqual([{ start: 0, end: 8 }]);
    expect(union([{ start: 0, end: 2 }], [{ start: 3, end: Infinity }])).toEqual([{ start: 0, end: 2 }, { start: 3, end: Infinity }]);
    expect(intersect([{ start: 0, end: 10 }], [{ start: 5, end: 15 }, { start: -5, end: 1 }])).toEqual([{ start: 0, end: 1 }, { start: 5, end: 10 }]);
    expect(intersect([{ start: 0, end: 5 }], [{ start: 5, end: 6 }])).toEqual([]);
  });
});
