import { addReading, EMPTY_AGGREGATE, type MeterKind, type Reading, type UsageAggregate } from './aggregation';
import { arrivedAfterClose, type BillingPeriod, billingPeriodAt, type BillingSchedule } from './billing-period';
import type { Decimal } from './decimal';

/** A reading of a customer's meter: a usage fact, or a ledger row read back for a recompute. */
export interface MeterReading extends Reading {
  readonly tenantId: string;
  readonly customerId: string;
  readonly meter: string;
  readonly kind: MeterKind;
  readonly value: Decimal;
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

/**
 * Folds readings into per-period usage, in memory: one entry per tenant × customer × meter × billing
 * period, whatever the number of readings. Each reading lands in the period of its event time; it is
 * "on time" when it was received before that period closed.
 */
export function foldUsage(readings: Iterable<MeterReading>, scheduleFor: ScheduleLookup, into = new Map<string, PeriodUsage>()): Map<string, PeriodUsage> {
  let lastCustomer: string | undefined;
  let schedule: BillingSchedule = [];
  let cached: BillingPeriod | undefined;
  for (const r of readings) {
    const customer = `${r.tenantId}\u0000${r.customerId}`;
    if (customer !== lastCustomer) {
      lastCustomer = customer;
      schedule = scheduleFor(r.tenantId, r.customerId);
      cached = undefined;
    }
    const period = cached !== undefined && r.occurredAt >= cached.start && r.occurredAt < cached.end ? cached : billingPeriodAt(schedule, r.occurredAt);
    cached = period;
    const key = periodUsageKey(r.tenantId, r.customerId, r.meter, period.start);
    const before = into.get(key);
    const onTime = !arrivedAfterClose(period, r.receivedAt);
    into.set(key, {
      tenantId: r.tenantId,
      customerId: r.customerId,
      meter: r.meter,
      kind: before?.kind === 'gauge' || r.kind === 'gauge' ? 'gauge' : 'counter',
      period,
      total: addReading(before?.total ?? EMPTY_AGGREGATE, r),
      onTime: onTime ? addReading(before?.onTime ?? EMPTY_AGGREGATE, r) : (before?.onTime ?? EMPTY_AGGREGATE),
    });
  }
  return into;
}
