import fc from 'fast-check';
import { addReading, aggregateValue, EMPTY_AGGREGATE, mergeAggregates, type Reading, sameAggregate, type UsageAggregate } from './aggregation';
import { decimalFromNumber, formatDecimal } from './decimal';
import { foldUsage, type MeterReading, type PeriodUsage } from './usage-fold';

const reading = (value: number, occurredAt: string, key: string, receivedAt = occurredAt): Reading => ({
  value: decimalFromNumber(value),
  occurredAt: Date.parse(occurredAt),
  receivedAt: Date.parse(receivedAt),
  key,
});
const fold = (readings: Reading[]): UsageAggregate => readings.reduce(addReading, EMPTY_AGGREGATE);
const values = (a: UsageAggregate): Record<string, string> =>
  Object.fromEntries((['sum', 'count', 'max', 'latest'] as const).map((agg) => [agg, formatDecimal(aggregateValue(a, agg))]));

describe('aggregation per meter: sum, count, max, latest', () => {
  it('given counter readings, then sum is the default and count, max and latest are kept beside it', () => {
    const a = fold([reading(100, '2026-05-03T10:00:00Z', 'k1'), reading(50, '2026-05-20T10:00:00Z', 'k2'), reading(3, '2026-05-10T10:00:00Z', 'k3')]);
    expect(values(a)).toEqual({ sum: '153', count: '3', max: '100', latest: '50' });
    expect([a.firstAt, a.lastAt].map((x) => new Date(x!).toISOString())).toEqual(['2026-05-03T10:00:00.000Z', '2026-05-20T10:00:00.000Z']);
  });

  it('given gauge readings at the same instant, then latest goes to the greater key, whatever the order', () => {
    const r = [reading(9, '2026-05-29T15:00:00Z', 'event:b'), reading(7, '2026-05-29T15:00:00Z', 'event:a')];
    expect(values(fold(r)).latest).toBe('9');
    expect(values(fold([...r].reverse())).latest).toBe('9');
  });

  it('given no readings, then every value is 0', () => {
    expect(values(EMPTY_AGGREGATE)).toEqual({ sum: '0', count: '0', max: '0', latest: '0' });
  });

  it('given any readings split into any batches in any order, then merging the batch folds gives the fold of all', () => {
    const arb = fc.array(
      fc.record({
        value: fc.oneof(fc.integer({ min: -1000, max: 100_000 }), fc.double({ min: -100, max: 100, noNaN: true, noDefaultInfinity: true })),
        at: fc.integer({ min: 0, max: 1000 }),
        key: fc.string({ minLength: 1, maxLength: 4 }),
      }),
      { minLength: 1, maxLength: 40 },
    );
    fc.assert(
      fc.property(arb, fc.integer({ min: 1, max: 7 }), (raw, chunk) => {
        const readings = raw.map((r, i) => ({ value: decimalFromNumber(r.value), occurredAt: r.at * 1000, receivedAt: r.at * 1000, key: `${r.key}#${i}` }));
        const all = fold(readings);
        const chunks: UsageAggregate[] = [];
        for (let i = 0; i < readings.length; i += chunk) chunks.push(fold(readings.slice(i, i + chunk)));
        const merged = chunks.reverse().reduce(mergeAggregates, EMPTY_AGGREGATE);
        return sameAggregate(all, merged) && sameAggregate(all, fold([...readings].reverse()));
      }),
    );
  });
});

describe('folding usage into billing periods', () => {
  const r = (meter: string, value: number, occurredAt: string, receivedAt = occurredAt, key = `${meter}${occurredAt}`): MeterReading => ({
    tenantId: 't',
    customerId: 'cus_1',
    meter,
    kind: 'counter',
    value: decimalFromNumber(value),
    occurredAt: Date.parse(occurredAt),
    receivedAt: Date.parse(receivedAt),
    key,
  });
  const summary = (m: Map<string, PeriodUsage>): unknown[] =>
    [...m.values()].map((p) => ({ meter: p.meter, start: new Date(p.period.start).toISOString().slice(0, 10), total: values(p.total).sum, onTime: values(p.onTime).sum, late: p.total.count - p.onTime.count }));

  it('given readings of one customer, then one entry per meter and period; a late reading lands in its event-time period and is not on time', () => {
    const folded = foldUsage(
      [
        r('api', 10, '2026-05-03T00:00:00Z'),
        r('api', 5, '2026-05-31T23:30:00Z', '2026-06-01T00:20:00Z'), // within the hour after the end: on time
        r('api', 7, '2026-05-20T00:00:00Z', '2026-06-03T00:00:00Z'), // after the period closed: late
        r('api', 1, '2026-06-02T00:00:00Z'),
        r('gb', 2, '2026-05-04T00:00:00Z'),
      ],
      () => [],
    );
    expect(summary(folded)).toEqual([
      { meter: 'api', start: '2026-05-01', total: '22', onTime: '15', late: 1 },
      { meter: 'api', start: '2026-06-01', total: '1', onTime: '1', late: 0 },
      { meter: 'gb', start: '2026-05-01', total: '2', onTime: '2', late: 0 },
    ]);
  });

  it('given the same readings folded at once, page by page, or in any order, then the periods are the same as the fold of addReading', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ v: fc.oneof(fc.integer({ min: -5, max: 2 ** 53 - 1 }), fc.double({ min: -9, max: 9, noNaN: true, noDefaultInfinity: true })), at: fc.integer({ min: 0, max: 40 }), late: fc.boolean() }), {
          minLength: 1,
          maxLength: 30,
        }),
        (raw) => {
          const readings = raw.map((x, i) => {
            const occurred = Date.UTC(2026, 4, 1) + x.at * 86_400_000;
            return r('api', x.v, new Date(occurred).toISOString(), new Date(occurred + (x.late ? 90 : 0) * 86_400_000).toISOString(), `k${i}`);
          });
          const once = foldUsage(readings, () => []);
          const paged = new Map<string, PeriodUsage>();
          foldUsage(readings.slice(0, 7), () => [], paged);
          foldUsage(readings.slice(7), () => [], paged);
          const reversed = foldUsage([...readings].reverse(), () => []);
          return [...once].every(([key, p]) => {
            const expected = readings.filter((x) => x.occurredAt >= p.period.start && x.occurredAt < p.period.end).reduce(addReading, EMPTY_AGGREGATE);
            return [once, paged, reversed].every((m) => sameAggregate(m.get(key)!.total, expected));
          });
        },
      ),
    );
  });

  it('given the customer schedule, then readings are bucketed by its cycle', () => {
    const anchor = Date.parse('2026-05-15T00:00:00Z');
    const folded = foldUsage([r('api', 1, '2026-05-14T00:00:00Z'), r('api', 2, '2026-05-16T00:00:00Z'), r('api', 4, '2026-06-14T00:00:00Z')], () => [
      { start: anchor, end: Number.POSITIVE_INFINITY, cycle: { anchor, interval: 'month', count: 1 } },
    ]);
    expect(summary(folded)).toEqual([
      { meter: 'api', start: '2026-05-01', total: '1', onTime: '1', late: 0 },
      { meter: 'api', start: '2026-05-15', total: '6', onTime: '6', late: 0 },
    ]);
  });
});
