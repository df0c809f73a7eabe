import fc from 'fast-check';
import { arrivedAfterClose, billingPeriodAt, type BillingSchedule, calendarMonthAt, type Cycle, cyclePeriodAt, PERIOD_CLOSE_GRACE_MS } from './billing-period';

const t = (iso: string): number => Date.parse(iso);
const show = (p: { start: number; end: number }): [string, string] => [new Date(p.start).toISOString(), new Date(p.end).toISOString()];

describe('billing periods', () => {
  it('given no subscription, then the period is the UTC calendar month', () => {
    expect(show(calendarMonthAt(t('2026-05-29T15:00:00.000Z')))).toEqual(['2026-05-01T00:00:00.000Z', '2026-06-01T00:00:00.000Z']);
    expect(show(billingPeriodAt([], t('2026-12-31T23:59:59.999Z')))).toEqual(['2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z']);
    expect(show(billingPeriodAt([], t('2027-01-01T00:00:00.000Z')))).toEqual(['2027-01-01T00:00:00.000Z', '2027-02-01T00:00:00.000Z']);
  });

  it('given a monthly subscription started on the 31st, then renewals clamp to month ends and come back to the 31st (Stripe)', () => {
    const cycle: Cycle = { anchor: t('2024-01-31T10:00:00.000Z'), interval: 'month', count: 1 };
    expect(show(cyclePeriodAt(cycle, t('2024-02-15T00:00:00.000Z')))).toEqual(['2024-01-31T10:00:00.000Z', '2024-02-29T10:00:00.000Z']);
    expect(show(cyclePeriodAt(cycle, t('2024-03-01T00:00:00.000Z')))).toEqual(['2024-02-29T10:00:00.000Z', '2024-03-31T10:00:00.000Z']);
    expect(show(cyclePeriodAt(cycle, t('2024-04-15T00:00:00.000Z')))).toEqual(['2024-03-31T10:00:00.000Z', '2024-04-30T10:00:00.000Z']);
    expect(show(cyclePeriodAt(cycle, t('2025-02-28T09:59:59.999Z')))).toEqual(['2025-01-31T10:00:00.000Z', '2025-02-28T10:00:00.000Z']);
  });

  it('given a yearly subscription started on 29 February, then it renews on 28 February, and on the 29th in leap years', () => {
    const cycle: Cycle = { anchor: t('2024-02-29T00:00:00.000Z'), interval: 'year', count: 1 };
    expect(show(cyclePeriodAt(cycle, t('2025-06-01T00:00:00.000Z')))).toEqual(['2025-02-28T00:00:00.000Z', '2026-02-28T00:00:00.000Z']);
    expect(show(cyclePeriodAt(cycle, t('2028-03-01T00:00:00.000Z')))).toEqual(['2028-02-29T00:00:00.000Z', '2029-02-28T00:00:00.000Z']);
  });

  it('given day, week and multi-month intervals, then periods are that many of them from the anchor', () => {
    const anchor = t('2026-05-15T09:30:00.000Z');
    expect(show(cyclePeriodAt({ anchor, interval: 'day', count: 1 }, t('2026-05-17T09:29:59.000Z')))).toEqual(['2026-05-16T09:30:00.000Z', '2026-05-17T09:30:00.000Z']);
    expect(show(cyclePeriodAt({ anchor, interval: 'week', count: 2 }, t('2026-06-01T00:00:00.000Z')))).toEqual(['2026-05-29T09:30:00.000Z', '2026-06-12T09:30:00.000Z']);
    expect(show(cyclePeriodAt({ anchor, interval: 'month', count: 3 }, t('2026-12-01T00:00:00.000Z')))).toEqual(['2026-11-15T09:30:00.000Z', '2027-02-15T09:30:00.000Z']);
    expect(show(cyclePeriodAt({ anchor, interval: 'month', count: 1 }, anchor))).toEqual(['2026-05-15T09:30:00.000Z', '2026-06-15T09:30:00.000Z']);
  });

  it('given a schedule, then the calendar month is cut where a subscription starts and ends, and a later subscription takes over', () => {
    const schedule: BillingSchedule = [
      { start: t('2026-05-15T00:00:00.000Z'), end: t('2026-07-10T00:00:00.000Z'), cycle: { anchor: t('2026-05-15T00:00:00.000Z'), interval: 'month', count: 1 } },
      { start: t('2026-08-20T00:00:00.000Z'), end: Number.POSITIVE_INFINITY, cycle: { anchor: t('2026-08-20T00:00:00.000Z'), interval: 'week', count: 1 } },
    ];
    expect(show(billingPeriodAt(schedule, t('2026-05-03T00:00:00.000Z')))).toEqual(['2026-05-01T00:00:00.000Z', '2026-05-15T00:00:00.000Z']);
    expect(show(billingPeriodAt(schedule, t('2026-06-20T00:00:00.000Z')))).toEqual(['2026-06-15T00:00:00.000Z', '2026-07-10T00:00:00.000Z']);
    expect(show(billingPeriodAt(schedule, t('2026-07-12T00:00:00.000Z')))).toEqual(['2026-07-10T00:00:00.000Z', '2026-08-01T00:00:00.000Z']);
    expect(show(billingPeriodAt(schedule, t('2026-08-05T00:00:00.000Z')))).toEqual(['2026-08-01T00:00:00.000Z', '2026-08-20T00:00:00.000Z']);
    expect(show(billingPeriodAt(schedule, t('2026-08-29T00:00:00.000Z')))).toEqual(['2026-08-27T00:00:00.000Z', '2026-09-03T00:00:00.000Z']);
  });

  it('always gives a period that contains the instant, and cycles tile time without gaps or overlaps', () => {
    const intervals = ['day', 'week', 'month', 'year'] as const;
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) }),
        fc.integer({ min: 0, max: 20 * 365 * 86_400_000 }),
        fc.constantFrom(...intervals),
        fc.integer({ min: 1, max: 3 }),
        (anchor, offset, interval, count) => {
          const cycle: Cycle = { anchor, interval, count };
          const p = cyclePeriodAt(cycle, anchor + offset);
          const next = cyclePeriodAt(cycle, p.end);
          return p.start <= anchor + offset && anchor + offset < p.end && next.start === p.end && next.end > next.start;
        },
      ),
    );
  });

  it('closes a period one hour after its end, judged by when the event was received, not by the wall clock', () => {
    const period = { start: t('2026-05-01T00:00:00.000Z'), end: t('2026-06-01T00:00:00.000Z') };
    expect(arrivedAfterClose(period, t('2026-05-31T23:59:59.000Z'))).toBe(false);
    expect(arrivedAfterClose(period, period.end + PERIOD_CLOSE_GRACE_MS - 1)).toBe(false);
    expect(arrivedAfterClose(period, period.end + PERIOD_CLOSE_GRACE_MS)).toBe(true);
  });
});
