import type { JsonValue } from '@revstream/events';
import type { ReadModel, ReadModelTable, RenderedRows } from '@revstream/projections';
import { scoreTenant, type TenantFacts, toIso } from '@revstream/scoring';

export const MEMBERSHIPS_TABLE = 'memberships';
export const ACCOUNTS_TABLE = 'accounts';
export const PLANS_TABLE = 'plans';
export const TENANT_SETTINGS_TABLE = 'tenant_settings';
export const COHORT_TABLES = [MEMBERSHIPS_TABLE, ACCOUNTS_TABLE, PLANS_TABLE, TENANT_SETTINGS_TABLE] as const;

const tables: ReadModelTable[] = [
  {
    name: MEMBERSHIPS_TABLE,
    mode: 'replace',
    columns: { tenant_id: 'text', cohort: 'text', customer_id: 'text', entered_at: 'timestamptz', exited_at: 'timestamptz', score: 'integer', reasons: 'jsonb' },
    primaryKey: ['tenant_id', 'cohort', 'customer_id', 'entered_at'],
  },
  {
    name: ACCOUNTS_TABLE,
    mode: 'replace',
    columns: {
      tenant_id: 'text',
      customer_id: 'text',
      paying: 'boolean',
      billing_status: 'text',
      plan: 'text',
      currency: 'text',
      mrr: 'bigint',
      lower_tier: 'boolean',
      last_activity_at: 'timestamptz',
      last_activity_event_id: 'text',
      active_hours: 'integer',
    },
    primaryKey: ['tenant_id', 'customer_id'],
  },
  {
    name: PLANS_TABLE,
    mode: 'replace',
    columns: { tenant_id: 'text', currency: 'text', plan: 'text', name: 'text', monthly_price: 'bigint', active: 'boolean', top: 'boolean' },
    primaryKey: ['tenant_id', 'currency', 'plan'],
  },
  {
    name: TENANT_SETTINGS_TABLE,
    mode: 'replace',
    columns: {
      tenant_id: 'text',
      evaluated_at: 'timestamptz',
      silent_window_days: 'integer',
      lookback_days: 'integer',
      limit_threshold_percent: 'integer',
      high_usage_window_days: 'integer',
      high_usage_percentile: 'integer',
      high_usage_min_peers: 'integer',
      high_usage_min_active_hours: 'integer',
    },
    primaryKey: ['tenant_id'],
  },
];

/**
 * A tenant's facts, scored (@revstream/scoring `scoreTenant`), as rows: every membership with its
 * entered_at and exited_at (null while current), the accounts and plans as the scorer sees them now,
 * and the settings in effect. Pure: the same facts render the same rows.
 */
export const cohortsReadModel: ReadModel<TenantFacts> = {
  tables,
  render: (_key, state): RenderedRows => {
    if (state.tenantId === '') return {};
    const scores = scoreTenant(state);
    const tenant = scores.tenantId;
    const s = scores.settings;
    return {
      [MEMBERSHIPS_TABLE]: scores.memberships.map((m) => ({
        tenant_id: tenant,
        cohort: m.cohort,
        customer_id: m.customerId,
        entered_at: toIso(m.enteredAt),
        exited_at: m.exitedAt === null ? null : toIso(m.exitedAt),
        score: m.score,
        reasons: m.reasons as unknown as JsonValue,
      })),
      [ACCOUNTS_TABLE]: scores.accounts.map((a) => ({
        tenant_id: tenant,
        customer_id: a.customerId,
        paying: a.billing.paying,
        billing_status: a.billing.status,
        plan: a.billing.plan,
        currency: a.billing.currency,
        mrr: a.billing.mrr,
        lower_tier: a.lowerTier,
        last_activity_at: a.lastActivityAt === null ? null : toIso(a.lastActivityAt),
        last_activity_event_id: a.lastActivityEventId,
        active_hours: a.activeHours,
      })),
      [PLANS_TABLE]: scores.plans.map((p) => ({
        tenant_id: tenant,
        currency: p.currency,
        plan: p.plan,
        name: p.name,
        monthly_price: p.monthlyPrice,
        active: p.active,
        top: p.top,
      })),
      [TENANT_SETTINGS_TABLE]: [
        {
          tenant_id: tenant,
          evaluated_at: scores.evaluatedAt === null ? null : toIso(scores.evaluatedAt),
          silent_window_days: s.silentWindowDays,
          lookback_days: s.lookbackDays,
          limit_threshold_percent: s.limitThresholdPercent,
          high_usage_window_days: s.highUsageWindowDays,
          high_usage_percentile: s.highUsagePercentile,
          high_usage_min_peers: s.highUsageMinPeers,
          high_usage_min_active_hours: s.highUsageMinActiveHours,
        },
      ],
    };
  },
};
