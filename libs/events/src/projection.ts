import type { DomainEvent } from './event-types';

/**
 * A projection is data plus pure functions (the Emmett/Castore shape). It imports no framework, reads
 * no clock and makes no ids: the same events give the same state, byte for byte. `evolve` switches
 * exhaustively on `event.type` over the types listed in `canHandle`.
 */
export interface Projection<S, E extends DomainEvent = DomainEvent> {
  readonly name: string;
  /** Bumping it rebuilds the read model into new tables from the start of the topics. */
  readonly version: number;
  readonly canHandle: ReadonlyArray<E['type']>;
  readonly initialState: () => S;
  readonly evolve: (state: S, event: E) => S;
}

/**
 * A projection whose state is kept as one document per key (for example per tenant and customer).
 * The adapter in @revstream/projections loads the documents a batch touches, evolves them and
 * writes them back, with the read-model rows they render, in the transaction that holds the checkpoint.
 */
export interface DocumentProjection<S, E extends DomainEvent = DomainEvent> extends Projection<S, E> {
  /** The document an event belongs to; null when this projection has nothing to do with it. */
  readonly keyOf: (event: E) => string | null;
  /**
   * Events with the same dedup key are applied once, across restarts and replays. Defaults to the
   * event id; return the source's idempotency key where a repeat of it must be a no-op.
   */
  readonly dedupKey?: (event: E) => string;
}

export const canHandle = <E extends DomainEvent>(projection: Pick<Projection<unknown, E>, 'canHandle'>, event: DomainEvent): event is E =>
  (projection.canHandle as ReadonlyArray<string>).includes(event.type);

/** Folds events into state with a projection. Given/then tests use it; so does the adapter. */
export const foldEvents = <S, E extends DomainEvent>(projection: Projection<S, E>, events: readonly E[], state: S = projection.initialState()): S =>
  events.reduce(projection.evolve, state);

/** For exhaustive switches: a type the switch forgot fails to compile. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
