import fc from 'fast-check';
import { classifyMovement, dailyMovements, type MrrChange, type MrrFact, replayMrr } from './movements';
import { rational } from './rational';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const DAY = 86_400_000;
const usd = (amount: bigint | number, d = 1n) => [{ currency: 'USD', monthly: rational(BigInt(amount), d) }];
const set = (at: number, eventId: string, component: string, amounts: ReturnType<typeof usd>): MrrFact => ({ at, eventId, change: { op: 'set', component, amounts } });
const addUsd = (at: number, eventId: string, component: string, delta: number): MrrFact => ({
  at, eventId, change: { op: 'add', component, currency: 'USD', delta: rational(BigInt(delta)) },
});
const shape = (facts: MrrFact[]) => replayMrr(facts).movements.map((m) => [m.type, Number(m.before), Number(m.after), Number(m.delta), m.eventId]);

describe('MRR rules: movements per customer and currency', () => {
  it.each([
    [0n, 100n, false, 'new'],
    [0n, 100n, true, 'reactivation'],
    [100n, 250n, true, 'expansion'],
    [250n, 100n, true, 'contraction'],
    [100n, 0n, true, 'churn'],
    [100n, 100n, true, null],
    [0n, 0n, false, null],
  ] as const)('%p → %p (had MRR before: %p) is %p', (before, after, had, type) => {
    expect(classifyMovement(before, after, had)).toBe(type);
  });

  it('new, expansion, contraction, churn, reactivation, each with before, after, delta, time and causing event', () => {
    const timeline = replayMrr([
      set(T0, 'e1', 'v:sub', usd(10_000)),
      set(T0 + DAY, 'e2', 'v:sub', usd(15_000)),
      set(T0 + 2 * DAY, 'e3', 'v:sub', usd(12_000)),
      set(T0 + 3 * DAY, 'e4', 'v:sub', usd(0)),
      set(T0 + 4 * DAY, 'e5', 'v:sub', usd(9_000)),
    ]);
    expect(timeline.movements).toEqual([
      { type: 'new', currency: 'USD', before: 0n, after: 10_000n, delta: 10_000n, at: T0, eventId: 'e1' },
      { type: 'expansion', currency: 'USD', before: 10_000n, after: 15_000n, delta: 5_000n, at: T0 + DAY, eventId: 'e2' },
      { type: 'contraction', currency: 'USD', before: 15_000n, after: 12_000n, delta: -3_000n, at: T0 + 2 * DAY, eventId: 'e3' },
      { type: 'churn', currency: 'USD', before: 12_000n, after: 0n, delta: -12_000n, at: T0 + 3 * DAY, eventId: 'e4' },
      { type: 'reactivation', currency: 'USD', before: 0n, after: 9_000n, delta: 9_000n, at: T0 + 4 * DAY, eventId: 'e5' },
    ]);
    expect(timeline.current).toEqual([{ currency: 'USD', amount: 9_000n, changedAt: T0 + 4 * DAY }]);
  });

  it('given Bronze at $100, when the customer switches to Gold at $250, then one expansion of +150', () => {
    expect(shape([set(T0, 'e1', 'v:sub', usd(10_000)), set(T0 + DAY, 'e2', 'v:sub', usd(25_000))])).toEqual([
      ['new', 0, 10_000, 10_000, 'e1'],
      ['expansion', 10_000, 25_000, 15_000, 'e2'],
    ]);
  });

  it('a plan switch sent as "cancel Bronze" and "start Gold" at one instant is one expansion, never a churn plus a new', () => {
    expect(shape([set(T0, 'e1', 'v:bronze', usd(10_000)), set(T0 + DAY, 'e3', 'v:gold', usd(25_000)), set(T0 + DAY, 'e2', 'v:bronze', usd(0))])).toEqual([
      ['new', 0, 10_000, 10_000, 'e1'],
      ['expansion', 10_000, 25_000, 15_000, 'e3'],
    ]);
  });

  it('moving from $100/month to $1,200/year is no movement', () => {
    const monthly = set(T0, 'e1', 'v:sub', usd(10_000));
    const annual = set(T0 + DAY, 'e2', 'v:sub', usd(120_000, 12n));
    expect(shape([monthly, annual])).toEqual([['new', 0, 10_000, 10_000, 'e1']]);
  });

  it('rounds once per customer and currency: two subscriptions of $1,000 a year are $166.67, not 2 × $83.33', () => {
    const timeline = replayMrr([set(T0, 'e1', 'v:a', usd(100_000, 12n)), set(T0, 'e2', 'v:b', usd(100_000, 12n))]);
    expect(timeline.current).toEqual([{ currency: 'USD', amount: 16_667n, changedAt: T0 }]);
  });

  it('never adds currencies together: each moves on its own', () => {
    const timeline = replayMrr([
      set(T0, 'e1', 'v:us', usd(10_000)),
      set(T0, 'e2', 'v:jp', [{ currency: 'JPY', monthly: rational(5_000n) }]),
      set(T0 + DAY, 'e3', 'v:jp', [{ currency: 'JPY', monthly: rational(0n) }]),
    ]);
    expect(timeline.movements.map((m) => [m.currency, m.type, Number(m.delta)])).toEqual([
      ['JPY', 'new', 5_000],
      ['USD', 'new', 10_000],
      ['JPY', 'churn', -5_000],
    ]);
    expect(timeline.current.map((c) => [c.currency, Number(c.amount)])).toEqual([['JPY', 0], ['USD', 10_000]]);
  });

  it('an authoritative delta never takes MRR below 0; clear ends every component with the prefix', () => {
    expect(shape([addUsd(T0, 'e1', 'p:', -5_000), addUsd(T0 + 1, 'e2', 'p:', 7_000), addUsd(T0 + 2, 'e3', 'p:s2', 3_000)])).toEqual([
      ['new', 0, 7_000, 7_000, 'e2'],
      ['expansion', 7_000, 10_000, 3_000, 'e3'],
    ]);
    const clear: MrrFact = { at: T0 + 3, eventId: 'e4', change: { op: 'clear', componentPrefix: 'p:', currency: 'USD' } };
    const timeline = replayMrr([set(T0, 'e0', 'v:sub', usd(1_000)), addUsd(T0 + 1, 'e2', 'p:', 7_000), addUsd(T0 + 2, 'e3', 'p:s2', 3_000), clear]);
    expect(timeline.current).toEqual([{ currency: 'USD', amount: 1_000n, changedAt: T0 + 3 }]);
  });

  it('sums movements per currency and UTC day; MRR is their running sum', () => {
    const timeline = replayMrr([set(T0, 'e1', 'v:a', usd(10_000)), set(T0 + 5, 'e2', 'v:b', usd(2_000)), set(T0 + DAY, 'e3', 'v:a', usd(0))]);
    expect(dailyMovements(timeline.movements)).toEqual([
      { currency: 'USD', day: '2026-01-01', new: 10_000n, expansion: 2_000n, contraction: 0n, churn: 0n, reactivation: 0n, net: 12_000n, count: 2 },
      { currency: 'USD', day: '2026-01-02', new: 0n, expansion: 0n, contraction: -10_000n, churn: 0n, reactivation: 0n, net: -10_000n, count: 1 },
    ]);
  });

  it('event-time order: any arrival order of the same facts gives the same timeline', () => {
    const change = fc.oneof(
      fc.record({ op: fc.constant('set' as const), component: fc.constantFrom('v:a', 'v:b', 'p:'), amounts: fc.array(fc.record({ currency: fc.constantFrom('USD', 'EUR'), monthly: fc.tuple(fc.bigInt(0n, 50_000n), fc.constantFrom(1n, 3n, 12n)).map(([n, d]) => rational(n, d)) }), { maxLength: 2 }) }),
      fc.record({ op: fc.constant('add' as const), component: fc.constantFrom('p:', 'p:x'), currency: fc.constantFrom('USD', 'EUR'), delta: fc.bigInt(-20_000n, 20_000n).map((n) => rational(n)) }),
      fc.record({ op: fc.constant('clear' as const), componentPrefix: fc.constant('p:'), currency: fc.constantFrom('USD', 'EUR') }),
    ) as fc.Arbitrary<MrrChange>;
    const facts = fc.uniqueArray(fc.record({ at: fc.integer({ min: 0, max: 20 }).map((d) => T0 + d * 3_600_000), eventId: fc.uuid(), change }), { selector: (f) => f.eventId, maxLength: 25 });
    fc.assert(
      fc.property(facts, fc.integer(), (list, seed) => {
        const shuffled = [...list].sort((a, b) => ((a.eventId.charCodeAt(seed & 7) ^ seed) & 15) - ((b.eventId.charCodeAt(seed & 7) ^ seed) & 15));
        expect(replayMrr(shuffled)).toEqual(replayMrr(list));
      }),
    );
  });
});
