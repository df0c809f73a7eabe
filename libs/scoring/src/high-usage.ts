import { billingAt, type BillingSegment } from './billing';
import type { PlanLadder } from './ladder';
import type { CohortSettings } from './settings';
import { compareText, DAY_MS } from './time';

const popcount = (mask: number): number => {
  let n = 0;
  for (let m = mask; m !== 0; m &= m - 1) n++;
  return n;
};

/** Active hours per day as prefix sums, so any window of days sums in O(log n). */
export class ActiveHours {
  private readonly days: number[];
  private readonly cumulative: number[];

  /** `hours`: day number and mask of active hours, in any order. */
  constructor(hours: ReadonlyArray<readonly [string, number]>) {
    const sorted = hours.map(([d, mask]) => [Number(d), mask] as const).sort((a, b) => a[0] - b[0]);
    this.days = sorted.map(([d]) => d);
    let total = 0;
    this.cumulative = sorted.map(([, mask]) => (total += popcount(mask)));
  }

  get activeDays(): readonly number[] {
    return this.days;
  }

  /** Cumulative active hours of the days before `day`. */
  private before(day: number): number {
    let lo = 0;
    let hi = this.days.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.days[mid]! < day) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? 0 : this.cumulative[lo - 1]!;
  }

  /** Active hours in the days [fromDay, toDay). */
  between(fromDay: number, toDay: number): number {
    return this.before(toDay) - this.before(fromDay);
  }
}

export interface HighUsageEvidence {
  /** Active hours in the window: the complete UTC days before the day evaluated. */
  readonly activeHours: number;
  /** The percentile of the peers' active hours (interpolated). */
  readonly percentileValue: number;
  /** Paying accounts on the same plan (and currency) that day, this one included. */
  readonly peers: number;
  /** The share of peers with at most this account's active hours, in whole percent. */
  readonly rank: number;
  readonly plan: string;
}

export interface UsageSubject {
  readonly customerId: string;
  readonly hours: ActiveHours;
  readonly billing: readonly BillingSegment[];
}

/**
 * The p-th percentile of ascending values, interpolated between the closest ranks (as Postgres
 * percentile_cont and spreadsheets' PERCENTILE.INC): with values 7 (nine times) and 56, the 90th
 * percentile is 11.9, so only the account at 56 reaches it.
 */
export function percentile(sortedAscending: readonly number[], p: number): number {
  const scaled = p * (sortedAscending.length - 1);
  const lo = Math.floor(scaled / 100);
  const fraction = (scaled % 100) / 100;
  const low = sortedAscending[lo]!;
  return fraction === 0 ? low : low + fraction * (sortedAscending[lo + 1]! - low);
}

/**
 * "Recent usage is high", per UTC day: on day D an account's usage is its active hours (hours with
 * at least one product event) over the `highUsageWindowDays` complete days before D. It is high when
 * at least `highUsageMinPeers` accounts pay for the same plan at D's start, and the account's usage
 * is at or above the `highUsagePercentile` percentile of theirs, above their median (when everyone
 * uses the product alike, no one stands out), and at least `highUsageMinActiveHours`.
 * Only plans on a lower tier are evaluated (top-plan accounts are never expansion-ready). Days are
 * evaluated up to and including `lastDay`. Returns customer id -> day -> evidence, for the days that qualify.
 */
export function highUsageDays(
  subjects: readonly UsageSubject[],
  ladder: PlanLadder,
  settings: CohortSettings,
  lastDay: number,
): Map<string, Map<number, HighUsageEvidence>> {
  const window = settings.highUsageWindowDays;
  const candidates = new Set<number>();
  for (const s of subjects) {
    for (const d of s.hours.activeDays) for (let k = 1; k <= window && d + k <= lastDay; k++) candidates.add(d + k);
  }
  const out = new Map<string, Map<number, HighUsageEvidence>>();
  for (const day of [...candidates].sort((a, b) => a - b)) {
    const groups = new Map<string, Array<{ customerId: string; usage: number; plan: string }>>();
    for (const s of subjects) {
      const billing = billingAt(s.billing, day * DAY_MS);
      if (!billing.paying || !ladder.isLowerTier(billing.plan, billing.currency)) continue;
      const key = `${billing.currency}|${billing.plan}`;
      const list = groups.get(key) ?? [];
      list.push({ customerId: s.customerId, usage: s.hours.between(day - window, day), plan: billing.plan! });
      groups.set(key, list);
    }
    for (const key of [...groups.keys()].sort(compareText)) {
      const peers = groups.get(key)!;
      if (peers.length < settings.highUsageMinPeers) continue;
      const sorted = peers.map((p) => p.usage).sort((a, b) => a - b);
      const threshold = percentile(sorted, settings.highUsagePercentile);
      const median = percentile(sorted, 50);
      for (const p of peers) {
        if (p.usage < threshold || p.usage <= median || p.usage < settings.highUsageMinActiveHours) continue;
        const atOrBelow = sorted.filter((u) => u <= p.usage).length;
        const days = out.get(p.customerId) ?? new Map<number, HighUsageEvidence>();
        days.set(day, { activeHours: p.usage, percentileValue: threshold, peers: peers.length, rank: Math.floor((100 * atOrBelow) / peers.length), plan: p.plan });
        out.set(p.customerId, days);
      }
    }
  }
  return out;
}
