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
  // The latest reading's fields, not the reading: a fold must not keep every batch's readings alive.
  private latestValue: Decimal | null = null;
  private latestAt = Number.NEGATIVE_INFINITY;
  private latestKey = '';
  private firstAt = Number.POSITIVE_INFINITY;
  private lastAt = Number.NEGATIVE_INFINITY;

  add(r: Reading): void {
    this.count++;
    const v = r.value;
    if (v.scale === 0 && v.coefficient > -SMALL && v.coefficient < SMALL && Math.abs(this.smallSum) < SMALL) this.smallSum += Number(v.coefficient);
    else this.exactSum = this.exactSum === null ? v : addDecimal(this.exactSum, v);
    if (this.max === null || compareDecimal(v, this.max) > 0) this.max = v;
    if (this.latestValue === null || r.occurredAt > this.latestAt || (r.occurredAt === this.latestAt && compareKeys(r.key, this.latestKey) > 0)) {
      this.latestValue = v;
      this.latestAt = r.occurredAt;
      this.latestKey = r.key;
    }
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
      latest: this.latestValue,
      latestAt: this.latestAt,
      latestKey: this.latestKey,
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
  const fold = new UsageFold(scheduleFor);
  for (const r of readings) fold.add(r);
  return fold.into(into);
}

/** The fold of `foldUsage`, a reading at a time (a batch that folds its readings as it decodes them). */
export class UsageFold {
  // Nested by tenant, customer, period and meter, so a reading costs map lookups and no key string.
  // Per customer: its schedule (looked up once) and the period its last reading fell in. Periods never
  // overlap, so a reading inside that period belongs to it; a batch's readings of one customer are
  // usually close in time, and billingPeriodAt is the fold's most expensive step.
  private readonly tenants = new Map<string, Map<string, CustomerFold>>();
  private readonly builders: PeriodBuilder[] = [];

  constructor(private readonly scheduleFor: ScheduleLookup) {}

  /** How many periods the readings so far fall in. */
  get size(): number {
    return this.builders.length;
  }

  add(r: MeterReading): void {
    let customers = this.tenants.get(r.tenantId);
    if (customers === undefined) {
      customers = new Map();
      this.tenants.set(r.tenantId, customers);
    }
    let c = customers.get(r.customerId);
    if (c === undefined) {
      c = { schedule: this.scheduleFor(r.tenantId, r.customerId), period: undefined, meters: undefined, periods: new Map() };
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
      this.builders.push(b);
    } else if (r.kind === 'gauge') b.kind = 'gauge';
    b.total.add(r);
    if (!arrivedAfterClose(b.period, r.receivedAt)) b.onTime.add(r);
  }

  /** The periods folded, merged into `into` (by `periodUsageKey`). */
  into(into = new Map<string, PeriodUsage>()): Map<string, PeriodUsage> {
    for (const b of this.builders) mergePeriodUsage(into, this.built(b));
    return into;
  }

  /** The periods folded, one each. */
  periods(): PeriodUsage[] {
    return this.builders.map((b) => this.built(b));
  }

  private built(b: PeriodBuilder): PeriodUsage {
    return { tenantId: b.tenantId, customerId: b.customerId, meter: b.meter, kind: b.kind, period: b.period, total: b.total.build(), onTime: b.onTime.build() };
  }
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
