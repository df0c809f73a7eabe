import type { DomainEvent, EventType, PoisonReason } from '@revstream/events';
import type { ProjectionTx } from './projection-tx';

export interface RejectedEvent {
  readonly event: DomainEvent;
  readonly reason: PoisonReason;
  readonly detail: string;
}

/**
 * What the runner drives: apply a batch of decoded events inside the transaction that also moves the
 * checkpoint. Events the handler cannot apply are returned, and the runner dead-letters them.
 */
export interface ProjectionHandler {
  /** Also the consumer name in checkpoints and the consumer group. */
  readonly name: string;
  readonly version: number;
  /** Decides which topics the runner subscribes to; other types are skipped. */
  readonly eventTypes: readonly EventType[];
  apply(events: readonly DomainEvent[], tx: ProjectionTx): Promise<{ rejected: readonly RejectedEvent[] }>;
  /**
   * The same as `apply`, for a handler that reads a batch's events once, in order, before anything
   * else, and keeps none but the ones it returns: the runner then decodes each record only as it is
   * reached, so a batch's decoded events never live together (a transaction of 100,000 would otherwise
   * hold them all, for the collector to copy and promote). Must read every event.
   */
  applyStream?(events: Iterable<DomainEvent>, tx: ProjectionTx): Promise<{ rejected: readonly RejectedEvent[] }>;
  /** A cheaper way to rebuild this projection from the start, for a replay (see BulkRebuild). */
  readonly bulkRebuild?: BulkRebuild;
}

/**
 * How a handler rebuilds from the start more cheaply than live processing writes, when its live
 * writes pay for what a rebuild into an empty schema does not need (an index probed and updated per
 * row, say). A replay applies the records up to the high-water marks it starts with (as many as its
 * memory budget allows) with the handler `start` returns, in the same transactions with the same
 * checkpoints, then calls `finish` before it applies anything else. The tables must end exactly as
 * the live handler would have built them: the determinism tests compare them byte for byte.
 */
export interface BulkRebuild {
  /**
   * Prepares the schema, in its own transaction, and returns the handler for the bulk phase (same name
   * and version). A schema an earlier bulk phase was stopped in is resumed: its rows are kept.
   */
  start(tx: ProjectionTx): Promise<ProjectionHandler>;
  /**
   * Makes the schema what live processing expects again. A no-op when it already is. `beside` runs
   * work in a second transaction at the same time (other tables: it must not wait for this one's
   * locks), committed just before this one, and rolled back when either fails.
   */
  finish(tx: ProjectionTx, beside: Beside): Promise<void>;
}

/** Starts work in a second transaction beside the current one (ProjectionRunner.inTransaction). */
export type Beside = (work: (tx: ProjectionTx) => Promise<void>) => void;
