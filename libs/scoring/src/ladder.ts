import type { PlanFact } from './tenant-facts';
import { compareText } from './time';

export interface PlanRung {
  readonly plan: string;
  readonly currency: string;
  readonly name: string | null;
  readonly monthlyPrice: number;
  readonly active: boolean;
  /** The tenant's top plan by price in this currency (ties: every plan at the top price). */
  readonly top: boolean;
}

/**
 * A tenant's plans by monthly price, per currency (prices in different currencies are never
 * compared). The top price is the highest of the active plans; an account is on a lower tier when
 * its plan's price is known and below the top price of its currency. The ladder is the tenant's plans
 * as currently known: when a price changes or a new top plan appears, the cohorts are re-derived
 * against the new ladder.
 */
export class PlanLadder {
  private readonly rungs = new Map<string, PlanRung>();
  private readonly tops = new Map<string, number>();

  constructor(plans: Readonly<Record<string, PlanFact>>) {
    for (const key of Object.keys(plans)) {
      const p = plans[key]!;
      if (p.active && p.monthlyPrice > (this.tops.get(p.currency) ?? -1)) this.tops.set(p.currency, p.monthlyPrice);
    }
    for (const key of Object.keys(plans).sort()) {
      const p = plans[key]!;
      this.rungs.set(key, { plan: p.plan, currency: p.currency, name: p.name, monthlyPrice: p.monthlyPrice, active: p.active, top: p.active && p.monthlyPrice === this.tops.get(p.currency) });
    }
  }

  get all(): PlanRung[] {
    return [...this.rungs.values()].sort((a, b) => compareText(a.currency, b.currency) || b.monthlyPrice - a.monthlyPrice || compareText(a.plan, b.plan));
  }

  rung(plan: string | null, currency: string | null): PlanRung | undefined {
    return plan === null || currency === null ? undefined : this.rungs.get(`${currency}|${plan}`);
  }

  topPrice(currency: string | null): number | undefined {
    return currency === null ? undefined : this.tops.get(currency);
  }

  topPlans(currency: string | null): string[] {
    return this.all.filter((r) => r.top && r.currency === currency).map((r) => r.plan);
  }

  isLowerTier(plan: string | null, currency: string | null): boolean {
    const rung = this.rung(plan, currency);
    const top = this.topPrice(currency);
    return rung !== undefined && top !== undefined && rung.monthlyPrice < top;
  }
}
