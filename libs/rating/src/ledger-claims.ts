import { CompactKeySet } from './compact-key-set';
import { EVENT_ID_KEY_PREFIX, type UsageFact } from './usage-facts';

/** The identity of a ledger row, as the ledger's primary key has it. */
export interface LedgerRowKey {
  readonly tenantId: string;
  readonly customerId: string;
  readonly key: string;
  readonly meter: string;
}

const isSourceKey = (key: string): boolean => !key.startsWith(EVENT_ID_KEY_PREFIX);

/**
 * The usage ledger's dedup rule, over the keys a ledger holds, in memory: what the ledger's claim
 * statement decides with its primary key and its probe (UsageLedgerRepository.claim), for a rebuild
 * that writes the ledger without them.
 *  - A source's key (an idempotency key, a Revenium transactionId) counts once per tenant and
 *    customer, under whichever meters its first event had: a later event with the key counts nothing.
 *  - An event id counts once per tenant, customer and meter (a republished record counts nothing).
 *  - Within one call, as within one statement, the probe sees only what earlier calls claimed: every
 *    reading of the call's first event with a key counts, and a row repeated within the call counts
 *    each time but is stored once.
 * Claims are made in runs (`run`): a transaction's, undone as one when it rolls back. Like the claim
 * statement, a call expects each event's key once (a bulk phase calls once per event).
 */
export class LedgerClaims {
  /** tenant, customer and key of every source-keyed row. */
  private readonly sourceKeys = new CompactKeySet();
  /** tenant, customer, key and meter of every event-id row. */
  private readonly eventRows = new CompactKeySet(1 << 20);
  /** The customers with rows, by tenant (a few thousand: a plain Set each). */
  private readonly customers = new Map<string, Set<string>>();

  /** Keys held (source keys once, event-id rows each): what the memory grows with. */
  get size(): number {
    return this.sourceKeys.size + this.eventRows.size;
  }

  /** Whether the ledger holds any reading of this customer. */
  hasReadings(tenantId: string, customerId: string): boolean {
    return this.customers.get(tenantId)?.has(customerId) ?? false;
  }

  /** Registers a row the ledger already holds (a resumed rebuild's). */
  add(row: LedgerRowKey): void {
    this.addCustomer(row.tenantId, row.customerId);
    if (isSourceKey(row.key)) this.sourceKeys.add(row.tenantId, row.customerId, row.key);
    else this.eventRows.add(row.tenantId, row.customerId, row.key, row.meter);
  }

  /**
   * A run of claims that can be undone as one (a transaction's), without keeping what it claimed: the
   * keys it adds are a range of each set's storage. Claims of other runs must not come between its
   * first claim and `close` (a batch claims synchronously, event after event).
   */
  run(): ClaimRun {
    return new ClaimRun(this.sourceKeys, this.eventRows, (tenantId, customerId) => this.addCustomer(tenantId, customerId), (tenantId, customerId) =>
      this.customers.get(tenantId)?.delete(customerId),
    );
  }

  private addCustomer(tenantId: string, customerId: string): boolean {
    let set = this.customers.get(tenantId);
    if (set === undefined) this.customers.set(tenantId, (set = new Set()));
    if (set.has(customerId)) return false;
    set.add(customerId);
    return true;
  }
}

/** One run of claims (LedgerClaims.run): claims call by call, then `close`; `undo` forgets them all. */
export class ClaimRun {
  private readonly sourceFrom: number;
  private readonly eventFrom: number;
  private sourceTo = -1;
  private eventTo = -1;
  /** The customers this run registered: few, once a rebuild has seen its customers. */
  private readonly newCustomers: Array<[string, string]> = [];
  private readonly eventMeters: string[] = [];

  constructor(
    private readonly sourceKeys: CompactKeySet,
    private readonly eventRows: CompactKeySet,
    private readonly addCustomer: (tenantId: string, customerId: string) => boolean,
    private readonly dropCustomer: (tenantId: string, customerId: string) => void,
  ) {
    this.sourceFrom = sourceKeys.mark;
    this.eventFrom = eventRows.mark;
  }

  /**
   * One call: which of these readings count (`count`, in order) and which rows the ledger gains
   * (`store`). Within a call, as within one claim statement, the probe sees only earlier calls.
   */
  claim(facts: readonly UsageFact[], count: (f: UsageFact) => void, store: (f: UsageFact) => void): void {
    // The event being read: its key was new (its readings count), and the meters stored for it.
    let event: UsageFact | undefined;
    let eventCounts = false;
    const eventMeters = this.eventMeters;
    eventMeters.length = 0;
    for (const f of facts) {
      const sameEvent = event !== undefined && f.key === event.key && f.customerId === event.customerId && f.tenantId === event.tenantId;
      if (sameEvent && isSourceKey(f.key)) {
        // A source key's probe saw only earlier calls: every reading of its first event counts here,
        // and a meter repeated within the event counts again but is stored once.
        if (!eventCounts) continue;
        count(f);
        if (eventMeters.includes(f.meter)) continue;
        eventMeters.push(f.meter);
        store(f);
        continue;
      }
      if (!sameEvent) {
        event = f;
        eventMeters.length = 0;
        eventCounts = !isSourceKey(f.key) || this.sourceKeys.add(f.tenantId, f.customerId, f.key);
        if (isSourceKey(f.key)) {
          if (!eventCounts) continue;
          count(f);
          store(f);
          eventMeters.push(f.meter);
          if (this.addCustomer(f.tenantId, f.customerId)) this.newCustomers.push([f.tenantId, f.customerId]);
          continue;
        }
      }
      // An event id: each meter's row counts once, ever; a row repeated within the event counts again.
      if (eventMeters.includes(f.meter)) {
        count(f);
        continue;
      }
      if (!this.eventRows.add(f.tenantId, f.customerId, f.key, f.meter)) continue;
      eventMeters.push(f.meter);
      count(f);
      store(f);
      if (this.addCustomer(f.tenantId, f.customerId)) this.newCustomers.push([f.tenantId, f.customerId]);
    }
  }

  /** No more claims in this run: what it added ends here. */
  close(): void {
    if (this.sourceTo < 0) this.sourceTo = this.sourceKeys.mark;
    if (this.eventTo < 0) this.eventTo = this.eventRows.mark;
  }

  /** Forgets everything this run registered (its transaction rolled back). */
  undo(): void {
    this.close();
    this.sourceKeys.deleteRange(this.sourceFrom, this.sourceTo);
    this.eventRows.deleteRange(this.eventFrom, this.eventTo);
    for (const [tenantId, customerId] of this.newCustomers) this.dropCustomer(tenantId, customerId);
    this.newCustomers.length = 0;
  }
}
