import type { EventType } from './event-types';

/** Turns the data of `fromVersion` into the data of `fromVersion + 1`. Pure. */
export type Upcaster = (data: unknown) => unknown;

/**
 * Upcasters by event type and the version they upgrade from. When a type's current version moves
 * from N to N+1, its producer starts writing N+1 and an upcaster from N is added here, so records
 * already in the log are read in the new shape and projection logic only ever sees one shape.
 */
export type UpcasterRegistry = { readonly [T in EventType]?: Readonly<Record<number, Upcaster>> };

/** All types are at version 1 today; nothing to upcast yet. */
export const UPCASTERS: UpcasterRegistry = {};
