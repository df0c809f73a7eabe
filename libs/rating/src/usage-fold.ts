import { compareKeys, EMPTY_AGGREGATE, mergeAggregates, type MeterKind, type Reading, type UsageAggregate } from './aggregation';
import { arrivedAfterClose, type BillingPeriod, billingPeriodAt, type BillingSchedule } from './billing-period';
import { addDecimal, compareDecimal, type Decimal, decimalFromInteger } from './decimal';

/** A reading of a customer's meter: a usage fact, or a ledger row read back for a recompute. */
export interface MeterReading extends Reading {
  readonly tenantId: string;
  readonly customerId: string;
  readonly meter: string;
  readonly kind: MeterKind;
}

/** A customer's meter over one billing period: every event, and the ones that came before it closed. */
export interface PeriodUsage {
  readonly tenantId: string;
  readonly customerId: string;
  readonly meter: string;
  readonly kind: MeterKind;
  readonly period: BillingPeriod;
  readonly total: UsageAggregate;
  readonly onTime: UsageAggregate;
}

export type ScheduleLookup = (tenantId: string, customerId: string) => BillingSchedule;

export const periodUsageKey = (tenantId: string, customerId: string, meter: string, periodStart: number): string =>
  `${tenantId}\u0000${customerId}\u0000${meter}\u0000${periodStart}`;

const SMALL = 2 ** 52;

/**
 * The fold of `addReading`, with the same results, built in place: a batch folds thousands of
 * readings, and allocating a new aggregate per reading is what the garbage collector would feel.
 * Whole-number readings are summed as JavaScript numbers while that stays exact.
 */
class AggregateBuilder {
  count = 0;
  private smallSum = 0;
  private exactSum: Decimal | null = null;
  private max: Decimal | null = null;
  private latest: Reading | null = null;
  private firstAt = Number.POSITIVE_INFINITY;
  private lastAt = Number.NEGATIVE_INFINITY;

  add(r: Reading): void {
    this.count++;
    const v = r.value;
    if (v.scale === 0 && v.coefficient > -SMALL && v.coefficient < SMALL && Math.abs(this.smallSum) < SMALL) this.smallSum += Number(v.coefficient);
    else this.exactSum = this.exactSum === null ? v : addDecimal(this.exactSum, v);
    if (this.max === null || compareDecimal(v, this.max) > 0) this.max = v;
    const l = this.latest;
    if (l === null || r.occurredAt > l.occurredAt || (r.occurredAt === l.occurredAt && compareKeys(r.key, l.key) > 0)) this.latest = r;
    if (r.occurredAt < this.firstAt) this.firstAt = r.occurredAt;
    if (r.occurredAt > this.lastAt) this.lastAt = r.occurredAt;
  }

  build(): UsageAggregate {
    if (this.count === 0) return EMPTY_AGGREGATE;
    const small = decimalFromInteger(this.smallSum);
    return {
      count: this.count,
      sum: this.exactSum === null ? small : addDecimal(small, this.exactSum),
      max: this.max,
      latest: this.latest!.value,
      latestAt: this.latest!.occurredAt,
      latestKey: this.latest!.key,
      firstAt: this.firstAt,
      lastAt: this.lastAt,
    };
  }
}

interface PeriodBuilder {
  readonly tenantId: string;
  readonly customerId: string;
  readonly meter: string;
  kind: MeterKind;
  readonly period: BillingPeriod;
  readonly total: AggregateBuilder;
  readonly onTime: AggregateBuilder;
}

interface CustomerFold {
  readonly schedule: BillingSchedule;
  /** The period of the customer's last reading, and its builders by meter. */
  period: BillingPeriod | undefined;
  meters: Map<string, PeriodBuilder> | undefined;
  /** Builders by period start, then meter. */
  readonly periods: Map<number, Map<string, PeriodBuilder>>;
}

/**
 * Folds readings into per-period usage, in memory: one entry per tenant × customer × meter × billing
 * period, whatever the number of readings. Each reading lands in the period of its event time; it is
 * "on time" when it was received before that period closed. Returns the periods by `periodUsageKey`;
 * periods already in `into` are merged with (a recompute folds a long ledger page by page).
 */
export function foldUsage(readings: Iterable<MeterReading>, scheduleFor: ScheduleLookup, into = new Map<string, PeriodUsage>()): Map<string, PeriodUsage> {
  // Nested by tenant, customer, period and meter, so a reading costs map lookups and no key string.
  // Per customer: its schedule (looked up once) and the period its last reading fell in. Periods never
  // overlap, so a reading inside that period belongs to it; a batch's readings of one customer are
  // usually close in time, and billingPeriodAt is the fold's most expensive step.
  const tenants = new Map<string, Map<string, CustomerFold>>();
  const builders: PeriodBuilder[] = [];
  for (const r of readings) {
    let customers = tenants.get(r.tenantId);
    if (customers === undefined) {
      customers = new Map();
      tenants.set(r.tenantId, customers);
    }
    let c = customers.get(r.customerId);
    if (c === undefined) {
      c = { schedule: scheduleFor(r.tenantId, r.customerId), period: undefined, meters: undefined, periods: new Map() };
      customers.set(r.customerId, c);
    }
    let period = c.period;
    let meters = c.meters;
    if (period === undefined || meters === undefined || r.occurredAt < period.start || r.occurredAt >= period.end) {
      period = billingPeriodAt(c.schedule, r.occurredAt);
      meters = c.periods.get(period.start);
      if (meters === undefined) {
        meters = new Map();
        c.periods.set(period.start, meters);
      }
      c.period = period;
      c.meters = meters;
    }
    let b = meters.get(r.meter);
    if (b === undefined) {
      b = { tenantId: r.tenantId, customerId: r.customerId, meter: r.meter, kind: r.kind, period, total: new AggregateBuilder(), onTime: new AggregateBuilder() };
      meters.set(r.meter, b);
      builders.push(b);
    } else if (r.kind === 'gauge') b.kind = 'gauge';
    b.total.add(r);
    if (!arrivedAfterClose(b.period, r.receivedAt)) b.onTime.add(r);
  }
  for (const b of builders) mergePeriodUsage(into, { tenantId: b.tenantId, customerId: b.customerId, meter: b.meter, kind: b.kind, period: b.period, total: b.total.build(), onTime: b.onTime.build() });
  return into;
}

/**
 * Merges a period's usage into the one `into` holds for the same tenant, customer, meter and period
 * start (by `periodUsageKey`), or adds it: the rules of the usage table's merge (counts and sums add,
 * max and last take the greater, first the lesser, latest the later reading, gauge wins over counter).
 */
export function mergePeriodUsage(into: Map<string, PeriodUsage>, p: PeriodUsage): void {
  const key = periodUsageKey(p.tenantId, p.customerId, p.meter, p.period.start);
  const before = into.get(key);
  if (before === undefined) {
    into.set(key, p);
    return;
  }
  into.set(key, {
    tenantId: p.tenantId,
    customerId: p.customerId,
    meter: p.meter,
    kind: before.kind === 'gauge' ? 'gauge' : p.kind,
    period: before.period,
    total: mergeAggregates(before.total, p.total),
    onTime: mergeAggregates(before.onTime, p.onTime),
  });
}
