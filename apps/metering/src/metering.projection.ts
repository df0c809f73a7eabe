import { assertNever, type DomainEvent, type EventType } from '@revstream/events';
import type { BulkRebuild, ProjectionHandler, ProjectionTx, RejectedEvent } from '@revstream/projections';
import {
  type BillingSchedule,
  type ClaimRun,
  emptyTerms,
  eventVersion,
  foldUsage,
  laterPolicy,
  mergeSubscription,
  type MeterKind,
  type MeterPolicy,
  type PeriodUsage,
  policiesOfValued,
  policyOfProduct,
  RatingInputError,
  samePricing,
  scheduleFingerprint,
  scheduleOf,
  type SubscriptionSnapshot,
  subscriptionSnapshotOf,
  type SubscriptionTerms,
  type UsageFact,
  usageFactsOf,
  UsageFold,
  USAGE_EVENT_TYPES,
} from '@revstream/rating';
import { LockSet } from './metering-locks';
import { MeterPricesRepository, policyKey } from './meter-prices.repository';
import { MeterSightings, MetersRepository } from './meters.repository';
import { customerKey, SubscriptionsRepository } from './subscriptions.repository';
import { BulkLedgerState, BulkUsageLedger, LedgerRows, UsageLedgerRepository } from './usage-ledger.repository';
import { BulkUsagePeriods, UsageRepository } from './usage.repository';

export const METERING_EVENT_TYPES = [...USAGE_EVENT_TYPES, 'valued.revenue', 'catalog.product_registered'] as const satisfies readonly EventType[];
type MeteringEvent = DomainEvent<(typeof METERING_EVENT_TYPES)[number]>;
const HANDLED = new Set<string>(METERING_EVENT_TYPES);
const isMeteringEvent = (event: DomainEvent): event is MeteringEvent => HANDLED.has(event.type);

interface SubscriptionChange {
  readonly tenantId: string;
  readonly customerId: string;
  readonly snapshot: SubscriptionSnapshot;
}

/** What one batch asks of the configuration, once its events are decoded and checked; and what it rejects. */
interface BatchWork {
  readonly policies: MeterPolicy[];
  readonly subscriptions: SubscriptionChange[];
  readonly rejected: RejectedEvent[];
}

const invalid = (event: DomainEvent, error: unknown): RejectedEvent => {
  if (error instanceof RatingInputError) return { event, reason: 'invalid_body', detail: error.message };
  throw error;
};

/**
 * Reads a batch's events once, in order, checking each. An event that cannot be used is rejected (the
 * runner dead-letters it) and contributes nothing. A usage event's readings go to `usage` as it is
 * read. With `dedup`, only the first event of a dedup key in the batch (in log order) is handed over,
 * the one that can count: the claim statement sees only earlier batches (the ledger decides against
 * them). A bulk phase claims event by event (ClaimRun), each call seeing the ones before: a later
 * event with the key counts nothing there either (a source key counts once under any meter; a
 * repeated event id has the same meters), so it needs no set of the batch's keys.
 */
function planBatch(events: Iterable<DomainEvent>, usage: (facts: UsageFact[]) => void, dedup = true): BatchWork {
  const work: BatchWork = { policies: [], subscriptions: [], rejected: [] };
  // The dedup keys seen in this batch, by tenant and customer (map lookups per event, no key string).
  const keys = new Map<string, Map<string, Set<string>>>();
  for (const event of events) {
    if (!isMeteringEvent(event)) continue; // the runner only hands over the declared types
    try {
      switch (event.type) {
        case 'revnu.usage':
        case 'revenium.meter':
        case 'revlint.product_event': {
          const facts = usageFactsOf(event);
          if (facts.length === 0) break;
          if (!dedup) {
            usage(facts);
            break;
          }
          const first = facts[0]!;
          let byCustomer = keys.get(first.tenantId);
          if (byCustomer === undefined) keys.set(first.tenantId, (byCustomer = new Map()));
          let seen = byCustomer.get(first.customerId);
          if (seen === undefined) byCustomer.set(first.customerId, (seen = new Set()));
          if (seen.has(first.key)) break;
          seen.add(first.key);
          usage(facts);
          break;
        }
        case 'catalog.product_registered':
          work.policies.push(policyOfProduct(event));
          break;
        case 'valued.revenue': {
          const snapshot = subscriptionSnapshotOf(event.data, eventVersion(event));
          const policies = policiesOfValued(event);
          if (snapshot && event.metadata.customerId) {
            work.subscriptions.push({ tenantId: event.metadata.tenantId, customerId: event.metadata.customerId, snapshot });
          }
          work.policies.push(...policies);
          break;
        }
        default:
          assertNever(event, 'event type');
      }
    } catch (error) {
      work.rejected.push(invalid(event, error));
    }
  }
  return work;
}

/**
 * A rebuild's bulk phase, in memory between its transactions (docs/replay.md): the ledger's keys, the
 * periods (written once when the phase ends), and every customer's billing schedule as committed.
 * `fresh`: the ledger was empty when it started.
 */
interface BulkPhase {
  readonly ledger: BulkLedgerState;
  readonly periods: BulkUsagePeriods;
  readonly schedules: Map<string, BillingSchedule>;
  readonly fresh: boolean;
}

/**
 * A bulk phase's batch of usage, reading by reading as the batch is read: claimed in memory, its new
 * ledger rows encoded for one COPY, folded into periods with the schedules in memory, its meters
 * noted. So a batch's readings never live together (only its periods do), and it takes no locks:
 * nothing it writes is shared before the end of the phase. Its claims are one run (`ClaimRun`),
 * undone as one if the batch rolls back.
 */
class BulkUsageBatch {
  private readonly claims: ClaimRun;
  private readonly rows = new LedgerRows();
  private readonly fold: UsageFold;
  private readonly sightings = new MeterSightings();
  private readonly count = (f: UsageFact): void => {
    this.fold.add(f);
    this.sightings.add(f);
  };
  private readonly store = (f: UsageFact): void => this.rows.add(f);

  constructor(private readonly bulk: BulkPhase) {
    this.claims = bulk.ledger.claims.run();
    this.fold = new UsageFold((tenantId, customerId) => bulk.schedules.get(customerKey(tenantId, customerId)) ?? []);
  }

  add(facts: readonly UsageFact[]): void {
    this.claims.claim(facts, this.count, this.store);
  }

  /** No more readings: the claims' run ends here. */
  close(): void {
    this.claims.close();
  }

  undo(): void {
    this.claims.undo();
  }

  /** Writes the ledger rows and the meters; the periods join the phase's once the transaction commits. */
  async write(tx: ProjectionTx): Promise<void> {
    await this.rows.copyTo(tx);
    await new MetersRepository(tx).save(this.sightings);
    const periods = this.fold.periods();
    const rows = this.rows.count;
    const bulk = this.bulk;
    tx.onCommit(() => {
      bulk.periods.add(periods);
      bulk.ledger.rows += rows;
    });
  }
}

class MeteringBatch {
  private readonly ledger: UsageLedgerRepository;
  private readonly usage: UsageRepository;
  private readonly prices: MeterPricesRepository;
  private readonly subscriptions: SubscriptionsRepository;
  private readonly meters: MetersRepository;

  constructor(
    private readonly tx: ProjectionTx,
    private readonly bulk?: BulkPhase,
  ) {
    this.ledger = bulk ? new BulkUsageLedger(tx) : new UsageLedgerRepository(tx);
    this.usage = new UsageRepository(tx);
    this.prices = new MeterPricesRepository(tx);
    this.subscriptions = new SubscriptionsRepository(tx);
    this.meters = new MetersRepository(tx);
  }

  /**
   * Price definitions and subscriptions. A meter whose policy changed is re-rated everywhere; a
   * customer whose billing schedule changed has every period recomputed from the ledger (usage that
   * arrived before its subscription moves into the subscription's cycles).
   */
  async configure(policies: readonly MeterPolicy[], changes: readonly SubscriptionChange[]): Promise<void> {
    const candidates = new Map<string, MeterPolicy>();
    for (const p of policies) candidates.set(policyKey(p.tenantId, p.meter), laterPolicy(candidates.get(policyKey(p.tenantId, p.meter)), p));
    const byCustomer = new Map<string, SubscriptionChange[]>();
    for (const c of changes) {
      const key = customerKey(c.tenantId, c.customerId);
      const list = byCustomer.get(key);
      if (list) list.push(c);
      else byCustomer.set(key, [c]);
    }

    // Locks go customers first, then meters, each set in one statement, before any row is written:
    // every transaction takes them in that order, so none waits for another in a cycle.
    const customerLocks = new LockSet(this.tx.schema);
    for (const [first] of byCustomer.values()) customerLocks.add('customer', first!.tenantId, first!.customerId, true);
    await customerLocks.acquire(this.tx);

    const known = await this.subscriptions.termsOf([...byCustomer.values()].map(([c]) => c!));
    const saved: Array<{ tenantId: string; customerId: string; terms: SubscriptionTerms }> = [];
    const rescheduled: Array<{ tenantId: string; customerId: string; schedule: BillingSchedule }> = [];
    for (const [key, list] of [...byCustomer].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const { tenantId, customerId } = list[0]!;
      const before = known.get(key) ?? [];
      const terms = new Map(before.map((t) => [t.key, t]));
      for (const { snapshot } of list) terms.set(snapshot.key, mergeSubscription(terms.get(snapshot.key) ?? emptyTerms(snapshot.key), snapshot));
      const after = [...terms.values()];
      const previous = new Map(before.map((t) => [t.key, JSON.stringify(t)]));
      for (const t of after) if (previous.get(t.key) !== JSON.stringify(t)) saved.push({ tenantId, customerId, terms: t });
      const schedule = scheduleOf(after);
      if (scheduleFingerprint(schedule) !== scheduleFingerprint(scheduleOf(before))) rescheduled.push({ tenantId, customerId, schedule });
    }

    const meterLocks = new LockSet(this.tx.schema);
    for (const p of candidates.values()) meterLocks.add('meter', p.tenantId, p.meter, true);
    for (const m of await this.usage.metersOf(rescheduled)) meterLocks.add('meter', m.tenantId, m.meter, false);
    await meterLocks.acquire(this.tx);

    const stored = await this.prices.load(candidates.values());
    const changedPolicies: MeterPolicy[] = [];
    const repriced: MeterPolicy[] = [];
    for (const [key, candidate] of candidates) {
      const before = stored.get(key);
      if (laterPolicy(before, candidate) !== candidate || before?.version === candidate.version) continue;
      changedPolicies.push(candidate);
      if (!samePricing(before, candidate)) repriced.push(candidate);
    }
    await this.prices.save(changedPolicies);
    await this.subscriptions.save(saved.sort((a, b) => (`${customerKey(a.tenantId, a.customerId)}\u0000${a.terms.key}` < `${customerKey(b.tenantId, b.customerId)}\u0000${b.terms.key}` ? -1 : 1)));

    if (this.bulk) {
      // Nothing is rated before the bulk phase ends, and then with the last policies. Once committed, a
      // new schedule is the one later batches fold with, and a customer that has readings by then (a
      // batch may have folded them with the old one) is recomputed from the ledger at the end.
      const bulk = this.bulk;
      this.tx.onCommit(() => {
        for (const c of rescheduled) {
          bulk.schedules.set(customerKey(c.tenantId, c.customerId), c.schedule);
          if (bulk.ledger.claims.hasReadings(c.tenantId, c.customerId)) bulk.periods.markStale(c.tenantId, c.customerId);
        }
      });
      return;
    }
    for (const policy of repriced) await this.rerateMeter(policy.tenantId, policy.meter);
    await this.recomputeCustomers(rescheduled);
  }

  private async rerateMeter(tenantId: string, meter: string): Promise<void> {
    const policies = await this.prices.load([{ tenantId, meter }]);
    for await (const page of this.usage.periodsOfMeter(tenantId, meter)) await this.usage.writeRatings(page, policies);
  }

  /**
   * Recomputes the periods of customers whose billing schedule changed: their rows are removed and
   * rebuilt from the ledger with the new schedule. Customers without readings have nothing to redo.
   * The caller holds the customers' locks exclusively and their meters' locks.
   */
  private async recomputeCustomers(customers: ReadonlyArray<{ tenantId: string; customerId: string; schedule: BillingSchedule }>): Promise<void> {
    const withReadings = await this.ledger.customersWithReadings(customers);
    const todo = customers.filter((c) => withReadings.has(customerKey(c.tenantId, c.customerId)));
    if (todo.length === 0) return;
    const periods = await this.foldLedger(todo, new Map(todo.map((c) => [customerKey(c.tenantId, c.customerId), c.schedule])));
    await this.usage.deleteCustomers(todo);
    const all = [...periods.values()];
    for (let i = 0; i < all.length; i += 5_000) {
      const merged = await this.usage.merge(all.slice(i, i + 5_000));
      await this.usage.writeRatings(merged, await this.prices.load(merged));
    }
  }

  /**
   * The periods of these customers' readings in the ledger, folded with these schedules, and each
   * meter's kind as the meters table has it. `everyone`: the customers are all the ledger's (one scan).
   */
  private async foldLedger(
    customers: ReadonlyArray<{ tenantId: string; customerId: string }>,
    schedules: ReadonlyMap<string, BillingSchedule>,
    everyone = false,
  ): Promise<Map<string, PeriodUsage>> {
    const tenants = new Set(customers.map((c) => c.tenantId));
    const kinds = new Map<string, Map<string, MeterKind>>();
    for (const tenantId of tenants) kinds.set(tenantId, await this.meters.kindsOf(tenantId));
    const kindOf = (tenantId: string, meter: string): MeterKind => kinds.get(tenantId)?.get(meter) ?? 'counter';
    const scheduleFor = (tenantId: string, customerId: string): BillingSchedule => schedules.get(customerKey(tenantId, customerId)) ?? [];
    const periods = new Map<string, PeriodUsage>();
    const pages = everyone ? BulkUsageLedger.allReadings(this.tx, kindOf) : this.ledger.readingsOf(customers, kindOf);
    for await (const page of pages) foldUsage(page, scheduleFor, periods);
    return periods;
  }

  /**
   * What the bulk phase this batch was made with ends with: every period, and the last policies to
   * rate them with. The periods come from memory when it accounts for every row of a ledger that was
   * empty when the phase started, but for customers whose schedule changed; else (a resumed phase, or
   * a phase another run left) they are all refolded from the ledger.
   */
  async settleBulk(): Promise<{ periods: PeriodUsage[]; policies: Map<string, MeterPolicy> }> {
    const bulk = this.bulk!;
    let periods: PeriodUsage[] = [];
    let refold: ReadonlyArray<{ tenantId: string; customerId: string }> = [];
    const everyone = !bulk.fresh || bulk.ledger.rows !== (await BulkUsageLedger.rowCount(this.tx));
    if (everyone) {
      refold = await BulkUsageLedger.customers(this.tx);
    } else {
      ({ periods, stale: refold } = bulk.periods.settle());
    }
    if (refold.length > 0) {
      for (const p of (await this.foldLedger(refold, await this.subscriptions.schedulesOf(refold), everyone)).values()) periods.push(p);
    }
    return { periods, policies: await this.prices.load(periods) };
  }

  /**
   * Usage: claim the readings in the ledger (the dedup), fold the new ones per customer × meter ×
   * period in memory, merge each period into its row with one statement, and rate the merged rows.
   */
  async record(facts: readonly UsageFact[]): Promise<void> {
    const locks = new LockSet(this.tx.schema);
    // The batch's customers and meters, by tenant (map lookups per reading, no key strings).
    const byTenant = new Map<string, { customers: Set<string>; meters: Set<string> }>();
    for (const f of facts) {
      let t = byTenant.get(f.tenantId);
      if (t === undefined) {
        t = { customers: new Set(), meters: new Set() };
        byTenant.set(f.tenantId, t);
      }
      t.customers.add(f.customerId);
      t.meters.add(f.meter);
    }
    const customers: Array<{ tenantId: string; customerId: string }> = [];
    for (const [tenantId, t] of byTenant) {
      for (const customerId of t.customers) {
        customers.push({ tenantId, customerId });
        locks.add('customer', tenantId, customerId, false);
      }
      for (const meter of t.meters) locks.add('meter', tenantId, meter, false);
    }
    await locks.acquire(this.tx);
    const counted = await this.ledger.claim(facts);
    if (counted.length === 0) return;
    const schedules = await this.subscriptions.schedulesOf(customers);
    const periods = foldUsage(counted, (tenantId, customerId) => schedules.get(customerKey(tenantId, customerId)) ?? []);
    const merged = await this.usage.merge([...periods.values()]);
    const policies = await this.prices.load(merged);
    await this.usage.writeRatings(merged, policies);
    await this.meters.record(counted);
  }
}

/** One batch: configuration first, then usage. */
async function applyBatch(events: Iterable<DomainEvent>, tx: ProjectionTx): Promise<{ rejected: RejectedEvent[] }> {
  const facts: UsageFact[] = [];
  const work = planBatch(events, (readings) => {
    for (const f of readings) facts.push(f);
  });
  const batch = new MeteringBatch(tx);
  if (work.policies.length > 0 || work.subscriptions.length > 0) await batch.configure(work.policies, work.subscriptions);
  if (facts.length > 0) await batch.record(facts);
  return { rejected: work.rejected };
}

/** One batch of a bulk phase: usage as it is read (BulkUsageBatch), then the configuration, then the usage's rows. */
async function applyBulkBatch(events: Iterable<DomainEvent>, tx: ProjectionTx, bulk: BulkPhase): Promise<{ rejected: RejectedEvent[] }> {
  // Made, read and closed with nothing in between: its claims are one run of the shared claims.
  const usage = new BulkUsageBatch(bulk);
  tx.onRollback(() => usage.undo());
  let work: BatchWork;
  try {
    work = planBatch(events, (facts) => usage.add(facts), false);
  } finally {
    usage.close();
  }
  if (work.policies.length > 0 || work.subscriptions.length > 0) await new MeteringBatch(tx, bulk).configure(work.policies, work.subscriptions);
  await usage.write(tx);
  return { rejected: work.rejected };
}

/** What identifies the projection: its checkpoints, consumer group and schema version. */
const METERING = { name: 'metering', version: 1, eventTypes: METERING_EVENT_TYPES } as const;

/**
 * Metering's bulk rebuild (docs/replay.md): the ledger loses its primary key for the bulk phase, the
 * dedup rule is decided in memory over every key written (LedgerClaims, about 100 bytes a reading),
 * new rows go in by binary COPY, periods are folded in memory and written once by `finish`, which
 * builds the key again. Everything else is the live code. One per handler: it holds the phase.
 */
function meteringBulkRebuild(): BulkRebuild {
  let phase: BulkPhase | undefined;
  return {
    async start(tx) {
      await BulkUsageLedger.dropKey(tx);
      const ledger = new BulkLedgerState();
      // A bulk phase stopped earlier wrote rows without the key: their keys still decide.
      for await (const page of BulkUsageLedger.rowKeys(tx)) {
        for (const row of page) ledger.claims.add(row);
        ledger.rows += page.length;
      }
      const schedules = await new SubscriptionsRepository(tx).allSchedules();
      const started: BulkPhase = { ledger, periods: new BulkUsagePeriods(), schedules, fresh: ledger.rows === 0 };
      phase = started;
      const apply = (events: Iterable<DomainEvent>, batchTx: ProjectionTx): Promise<{ rejected: RejectedEvent[] }> => applyBulkBatch(events, batchTx, started);
      return { ...METERING, apply, applyStream: apply };
    },
    async finish(tx, beside) {
      const ended = phase;
      phase = undefined;
      if (await BulkUsageLedger.hasKey(tx)) return;
      const { periods, policies } = await new MeteringBatch(tx, ended ?? { ledger: new BulkLedgerState(), periods: new BulkUsagePeriods(), schedules: new Map(), fresh: false }).settleBulk();
      // The periods' rows are written beside the key's build (other tables, another connection, both
      // cores busy), and commit first: a ledger with its key again is a finished phase.
      beside((side) => new UsageRepository(side).replaceAll(periods, policies));
      await BulkUsageLedger.restoreKey(tx);
    },
  };
}

/**
 * The metering projection: Revnu usage, Revenium metering and Revenue Linter gauges aggregated per
 * tenant × customer × meter × billing period, and rated with the meters' prices (Revnu products,
 * Valued prices); Valued subscriptions define the billing periods. Run by the ProjectionRunner, in
 * the transaction that moves the checkpoint. The rules are @revstream/rating's; this is storage.
 */
export function meteringHandler(): ProjectionHandler {
  // planBatch reads the events once, first, and keeps only the facts they carry: the runner may decode as it goes.
  const apply = (events: Iterable<DomainEvent>, tx: ProjectionTx): Promise<{ rejected: RejectedEvent[] }> => applyBatch(events, tx);
  return { ...METERING, apply, applyStream: apply, bulkRebuild: meteringBulkRebuild() };
}
