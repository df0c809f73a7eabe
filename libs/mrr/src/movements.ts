import { add, isNegative, type Rational, roundToMinor, sub, ZERO } from './rational';

export type MovementType = 'new' | 'expansion' | 'contraction' | 'churn' | 'reactivation';
export const MOVEMENT_TYPES: readonly MovementType[] = ['new', 'expansion', 'contraction', 'churn', 'reactivation'];

/**
 * Classifies one change of a customer's MRR in one currency. `hadMrr`: the customer had more than 0
 * in this currency at some earlier time.
 *  - 0 → more than 0: new the first time, reactivation after a churn;
 *  - more than 0 → 0: churn;
 *  - up or down while above 0: expansion or contraction;
 *  - unchanged: no movement (null).
 */
export function classifyMovement(before: bigint, after: bigint, hadMrr: boolean): MovementType | null {
  if (after === before) return null;
  if (before === 0n) return hadMrr ? 'reactivation' : 'new';
  if (after === 0n) return 'churn';
  return after > before ? 'expansion' : 'contraction';
}

/**
 * A change to one component of a customer's MRR. A component is one subscription of one source
 * (`v:sub-321`, `p:sub_9`); a customer's MRR in a currency is the sum of its components in it.
 *  - set: the component is now exactly these amounts (a snapshot: Valued, or a Pulsora event without mrr_impact);
 *  - add: the component moves by delta, never below 0 (Pulsora's authoritative mrr_impact);
 *  - clear: every component whose key starts with the prefix goes to 0 in the currency.
 */
export type MrrChange =
  | { readonly op: 'set'; readonly component: string; readonly amounts: ReadonlyArray<{ readonly currency: string; readonly monthly: Rational }> }
  | { readonly op: 'add'; readonly component: string; readonly currency: string; readonly delta: Rational }
  | { readonly op: 'clear'; readonly componentPrefix: string; readonly currency: string };

/** A change with its event time (epoch ms) and the event that caused it. */
export interface MrrFact {
  readonly at: number;
  readonly eventId: string;
  readonly change: MrrChange;
}

export interface Movement {
  readonly type: MovementType;
  readonly currency: string;
  readonly before: bigint;
  readonly after: bigint;
  readonly delta: bigint;
  /** Event time, epoch ms. */
  readonly at: number;
  /** The event that caused it: of the events at this instant that touched this currency, the last by event id. */
  readonly eventId: string;
}

export interface CurrentMrr {
  readonly currency: string;
  readonly amount: bigint;
  /** When it last moved; null when it never did (a trial that never turned paid). */
  readonly changedAt: number | null;
}

export interface MrrTimeline {
  readonly movements: readonly Movement[];
  /** Every currency the customer ever had a component in, sorted, with its MRR after the last fact. */
  readonly current: readonly CurrentMrr[];
}

/** Event-time order: occurredAt, then event id as the tiebreak. The same facts always sort the same. */
export const compareFacts = (a: Pick<MrrFact, 'at' | 'eventId'>, b: Pick<MrrFact, 'at' | 'eventId'>): number =>
  a.at !== b.at ? a.at - b.at : a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;

const byKey = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Replays a customer's MRR facts in event-time order and returns its movements and current MRR per
 * currency. Facts at the same instant are applied together and give at most one movement per
 * currency (a plan switch sent as "cancel A" and "start B" at one instant is one expansion or
 * contraction, never a churn plus a new). Rounding happens here, once per customer, currency and
 * instant: the exact sum of the components, rounded half away from zero to whole minor units.
 * Currencies are never added together.
 */
export function replayMrr(facts: readonly MrrFact[]): MrrTimeline {
  const sorted = [...facts].sort(compareFacts);
  const components = new Map<string, Map<string, Rational>>();
  const totals = new Map<string, Rational>();
  const reported = new Map<string, bigint>();
  const changedAt = new Map<string, number>();
  const hadMrr = new Set<string>();
  const movements: Movement[] = [];

  const shift = (currency: string, from: Rational, to: Rational): void => {
    totals.set(currency, add(sub(totals.get(currency) ?? ZERO, from), to));
  };

  for (let i = 0; i < sorted.length; ) {
    const at = sorted[i]!.at;
    const touched = new Map<string, string>();
    for (; i < sorted.length && sorted[i]!.at === at; i++) {
      const { change, eventId } = sorted[i]!;
      switch (change.op) {
        case 'set': {
          const old = components.get(change.component);
          if (old) for (const [currency, value] of old) (shift(currency, value, ZERO), touched.set(currency, eventId));
          const next = new Map<string, Rational>();
          for (const { currency, monthly } of change.amounts) next.set(currency, add(next.get(currency) ?? ZERO, monthly));
          for (const [currency, value] of next) (shift(currency, ZERO, value), touched.set(currency, eventId));
          components.set(change.component, next);
          break;
        }
        case 'add': {
          let component = components.get(change.component);
          if (!component) components.set(change.component, (component = new Map()));
          const was = component.get(change.currency) ?? ZERO;
          let now = add(was, change.delta);
          if (isNegative(now)) now = ZERO;
          component.set(change.currency, now);
          shift(change.currency, was, now);
          touched.set(change.currency, eventId);
          break;
        }
        case 'clear': {
          for (const [key, component] of components) {
            if (!key.startsWith(change.componentPrefix) || !component.has(change.currency)) continue;
            shift(change.currency, component.get(change.currency)!, ZERO);
            component.set(change.currency, ZERO);
            touched.set(change.currency, eventId);
          }
          break;
        }
      }
    }
    for (const currency of [...touched.keys()].sort(byKey)) {
      const before = reported.get(currency) ?? 0n;
      const after = roundToMinor(totals.get(currency) ?? ZERO);
      reported.set(currency, after);
      const type = classifyMovement(before, after, hadMrr.has(currency));
      if (type === null) continue;
      movements.push({ type, currency, before, after, delta: after - before, at, eventId: touched.get(currency)! });
      changedAt.set(currency, at);
      if (after > 0n) hadMrr.add(currency);
    }
  }
  const current = [...reported.keys()].sort(byKey).map((currency) => ({ currency, amount: reported.get(currency)!, changedAt: changedAt.get(currency) ?? null }));
  return { movements, current };
}

export interface DailyMovements {
  readonly currency: string;
  /** UTC date, YYYY-MM-DD. */
  readonly day: string;
  readonly new: bigint;
  readonly expansion: bigint;
  readonly contraction: bigint;
  readonly churn: bigint;
  readonly reactivation: bigint;
  /** The day's net change: the sum of the five. MRR on a day is the running sum of net up to it. */
  readonly net: bigint;
  readonly count: number;
}

const DAY_MS = 86_400_000;
const dayNames = new Map<number, string>();
/** The UTC date of an instant, YYYY-MM-DD (memoized: a pure function of the day number). */
function utcDay(at: number): string {
  const n = Math.floor(at / DAY_MS);
  let name = dayNames.get(n);
  if (name === undefined) {
    if (dayNames.size >= 100_000) dayNames.clear();
    name = new Date(n * DAY_MS).toISOString().slice(0, 10);
    dayNames.set(n, name);
  }
  return name;
}

/** Movements summed per currency and UTC day (contraction and churn are negative), sorted. */
export function dailyMovements(movements: readonly Movement[]): DailyMovements[] {
  const byDay = new Map<string, { -readonly [K in keyof DailyMovements]: DailyMovements[K] }>();
  for (const m of movements) {
    const day = utcDay(m.at);
    const key = `${m.currency}|${day}`;
    let row = byDay.get(key);
    if (!row) byDay.set(key, (row = { currency: m.currency, day, new: 0n, expansion: 0n, contraction: 0n, churn: 0n, reactivation: 0n, net: 0n, count: 0 }));
    row[m.type] += m.delta;
    row.net += m.delta;
    row.count += 1;
  }
  return [...byDay.keys()].sort(byKey).map((k) => byDay.get(k)!);
}
