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
}
