import { latest, type Stamp } from './time';

/** A tenant's cohort thresholds (docs/cohorts.md). Every one is set per tenant with a settings event. */
export interface CohortSettings {
  /** Silent churn: billing active and no product event for this many days. */
  readonly silentWindowDays: number;
  /** Expansion-ready: how far back a limit report or a premium feature use counts. */
  readonly lookbackDays: number;
  /** Expansion-ready: usage at or above this percent of a reported limit. */
  readonly limitThresholdPercent: number;
  /** Expansion-ready, high usage: the number of complete UTC days usage is measured over. */
  readonly highUsageWindowDays: number;
  /** Expansion-ready, high usage: at or above this percentile of the paying accounts on the same plan. */
  readonly highUsagePercentile: number;
  /** Expansion-ready, high usage: a percentile needs at least this many paying accounts on the plan. */
  readonly highUsageMinPeers: number;
  /** Expansion-ready, high usage: and at least this many active hours in the window. */
  readonly highUsageMinActiveHours: number;
}

export type SettingName = keyof CohortSettings;

export interface SettingSpec {
  readonly default: number;
  readonly min: number;
  readonly max: number;
  readonly unit: string;
}

/**
 * Defaults and the range each setting accepts. The minimum windows are one day: activity and limit
 * reports are kept as spans one day apart (spans.ts), which is exact for any window of a day or more.
 */
export const SETTING_SPECS: { readonly [K in SettingName]: SettingSpec } = {
  silentWindowDays: { default: 14, min: 1, max: 365, unit: 'days' },
  lookbackDays: { default: 30, min: 1, max: 365, unit: 'days' },
  limitThresholdPercent: { default: 80, min: 50, max: 100, unit: 'percent' },
  highUsageWindowDays: { default: 7, min: 1, max: 90, unit: 'days' },
  highUsagePercentile: { default: 90, min: 50, max: 100, unit: 'percentile' },
  highUsageMinPeers: { default: 5, min: 1, max: 1_000_000, unit: 'accounts' },
  highUsageMinActiveHours: { default: 1, min: 1, max: 24 * 90, unit: 'hours' },
};

export const SETTING_NAMES = Object.keys(SETTING_SPECS).sort() as SettingName[];

export const DEFAULT_COHORT_SETTINGS: CohortSettings = Object.fromEntries(
  SETTING_NAMES.map((name) => [name, SETTING_SPECS[name].default]),
) as unknown as CohortSettings;

/** One setting as the log last set it: a value, or null for "back to the default". */
export interface SettingFact extends Stamp {
  readonly value: number | null;
}

export type SettingsFacts = { readonly [K in SettingName]?: SettingFact };

/**
 * What a settings event changes, or the problems that make it invalid (each naming the field).
 * Absent fields are not changed; null resets a field to its default.
 */
export function parseSettingsChange(data: unknown): { changes: Partial<Record<SettingName, number | null>>; problems: string[] } {
  const problems: string[] = [];
  const changes: Partial<Record<SettingName, number | null>> = {};
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return { changes, problems: ['body: must be an object'] };
  const body = data as Record<string, unknown>;
  for (const key of Object.keys(body).sort()) {
    if (!(key in SETTING_SPECS)) problems.push(`${key}: is not a cohort setting (known: ${SETTING_NAMES.join(', ')})`);
  }
  for (const name of SETTING_NAMES) {
    if (!(name in body) || body[name] === undefined) continue;
    const value = body[name];
    const spec = SETTING_SPECS[name];
    if (value === null) changes[name] = null;
    else if (typeof value === 'number' && Number.isSafeInteger(value) && value >= spec.min && value <= spec.max) changes[name] = value;
    else problems.push(`${name}: must be an integer from ${spec.min} to ${spec.max} (${spec.unit}) or null for the default, got ${JSON.stringify(value)}`);
  }
  if (problems.length === 0 && Object.keys(changes).length === 0) problems.push(`body: sets no setting (known: ${SETTING_NAMES.join(', ')})`);
  return { changes, problems };
}

/** Joins a settings change into the facts: per setting, the latest change wins (by event time, then id). */
export function applySettingsChange(facts: SettingsFacts, changes: Partial<Record<SettingName, number | null>>, stamp: Stamp): SettingsFacts {
  const next: { [K in SettingName]?: SettingFact } = { ...facts };
  for (const name of SETTING_NAMES) {
    const value = changes[name];
    if (value === undefined) continue;
    next[name] = latest(facts[name], { at: stamp.at, id: stamp.id, value });
  }
  return next;
}

export function effectiveSettings(facts: SettingsFacts): CohortSettings {
  return Object.fromEntries(SETTING_NAMES.map((name) => [name, facts[name]?.value ?? SETTING_SPECS[name].default])) as unknown as CohortSettings;
}

