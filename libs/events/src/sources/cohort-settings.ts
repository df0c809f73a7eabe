/**
 * `npm run cli -- cohorts settings ...`: an operator changes a tenant's cohort thresholds (docs/cohorts.md).
 * On the catalog topic, because it is operator configuration that scoring depends on: being in the
 * log, a replay scores with exactly the settings the live run had. Each field present sets that
 * setting (null resets it to the default); absent fields keep their current value.
 */
export interface CohortSettingsChangedData {
  silentWindowDays?: number | null;
  lookbackDays?: number | null;
  limitThresholdPercent?: number | null;
  highUsageWindowDays?: number | null;
  highUsagePercentile?: number | null;
  highUsageMinPeers?: number | null;
  highUsageMinActiveHours?: number | null;
}
