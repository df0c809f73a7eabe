import { foldEvents } from '@revstream/events';
import { limitReport, may, planItem, planSync, productEvent, tick, valuedSnapshot } from '../../../libs/scoring/src/testing/cohort-events';
import { cohortsProjection } from './cohorts.projection';
import { cohortsReadModel } from './cohorts.read-model';

const t = { tenantId: 'tn_rows' };
const events = [
  planSync('starter', 1000, may(1), t),
  planSync('pro', 10000, may(1), t),
  valuedSnapshot('cus_a', may(1), 'active', [planItem('starter', 1000)], t),
  productEvent('cus_a', may(2), 'LOGIN', {}, t),
  limitReport('cus_a', may(3), 9, 10, { ...t, eventId: 'evt-limit' }),
  tick(may(20), t),
];

describe('cohorts projection and read model: given events, then rows', () => {
  it('keys every event that matters by tenant, and skips anonymous activity', () => {
    expect(events.map((e) => cohortsProjection.keyOf(e))).toEqual(Array(events.length).fill('tn_rows'));
    const anonymous = productEvent('x', may(2), 'LOGIN', {}, t);
    expect(cohortsProjection.keyOf({ ...anonymous, metadata: { ...anonymous.metadata, customerId: null } } as typeof anonymous)).toBeNull();
  });

  it('renders memberships, accounts, plans and the settings in effect', () => {
    const rows = cohortsReadModel.render('tn_rows', foldEvents(cohortsProjection, events));
    expect(rows.memberships!.map(({ reasons, ...r }) => ({ ...r, reasons: (reasons as Array<{ code: string }>).map((x) => x.code) }))).toEqual([
      { tenant_id: 'tn_rows', cohort: 'expansion_ready', customer_id: 'cus_a', entered_at: may(3), exited_at: null, score: 90, reasons: ['paying_on_lower_tier', 'usage_limit'] },
      { tenant_id: 'tn_rows', cohort: 'silent_churn', customer_id: 'cus_a', entered_at: may(17), exited_at: null, score: 17, reasons: ['billing_active', 'no_recent_activity'] },
    ]);
    expect(rows.accounts).toEqual([
      {
        tenant_id: 'tn_rows',
        customer_id: 'cus_a',
        paying: true,
        billing_status: 'active',
        plan: 'starter',
        currency: 'USD',
        mrr: 1000,
        lower_tier: true,
        last_activity_at: may(3),
        last_activity_event_id: 'evt-limit',
        active_hours: 0,
      },
    ]);
    expect(rows.plans).toEqual([
      { tenant_id: 'tn_rows', currency: 'USD', plan: 'pro', name: 'pro', monthly_price: 10000, active: true, top: true },
      { tenant_id: 'tn_rows', currency: 'USD', plan: 'starter', name: 'starter', monthly_price: 1000, active: true, top: false },
    ]);
    expect(rows.tenant_settings).toEqual([
      {
        tenant_id: 'tn_rows',
        evaluated_at: may(20),
        silent_window_days: 14,
        lookback_days: 30,
        limit_threshold_percent: 80,
        high_usage_window_days: 7,
        high_usage_percentile: 90,
        high_usage_min_peers: 5,
        high_usage_min_active_hours: 1,
      },
    ]);
  });

  it('renders nothing for a tenant it has not seen, and the same rows for the same events applied twice', () => {
    expect(cohortsReadModel.render('tn_rows', cohortsProjection.initialState())).toEqual({});
    const once = cohortsReadModel.render('tn_rows', foldEvents(cohortsProjection, events));
    expect(cohortsReadModel.render('tn_rows', foldEvents(cohortsProjection, [...events, ...events]))).toEqual(once);
  });
});
