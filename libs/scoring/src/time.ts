/** Time in the scoring rules: epoch milliseconds (event time), UTC days and hours. No clock is read here. */
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** The UTC day number (days since 1970-01-01) an instant falls in. */
export const dayOf = (ms: number): number => Math.floor(ms / DAY_MS);

/** The UTC hour (0-23) of its day an instant falls in. */
export const hourOf = (ms: number): number => Math.floor((ms - dayOf(ms) * DAY_MS) / HOUR_MS);

/** An ISO-8601 instant to epoch ms; throws on anything Date cannot read. */
export function toMs(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new RangeError(`not an ISO-8601 instant: ${JSON.stringify(iso)}`);
  return ms;
}

export const toIso = (ms: number): string => new Date(ms).toISOString();

/**
 * Where a fact sits in event time: its instant, then its event id as the tiebreak. The same facts
 * always sort the same way, whatever order they arrived in.
 */
export interface Stamp {
  readonly at: number;
  readonly id: string;
}

export const compareStamps = (a: Stamp, b: Stamp): number => (a.at !== b.at ? a.at - b.at : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The later of two stamped facts (a join: commutative, associative, idempotent). */
export const latest = <T extends Stamp>(a: T | undefined, b: T): T => (a === undefined || compareStamps(b, a) > 0 ? b : a);

export const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
