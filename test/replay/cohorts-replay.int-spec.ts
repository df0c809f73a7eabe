import { type DomainEvent, toEnvelope } from '@revstream/events';
import { cohortsApp } from '../../apps/cohorts/src/cohorts.app';
import { COHORT_TABLES } from '../../apps/cohorts/src/cohorts.read-model';
import {
  limitReport,
  may,
  pageview,
  planItem,
  planSync,
  plus,
  premiumUse,
  productEvent,
  pulsoraRevenue,
  settingsChanged,
  tick,
  valuedSnapshot,
} from '../../libs/scoring/src/testing/cohort-events';
import { expectIdenticalRebuild, liveThenReplay, mixed, prng, replayStack, thirds, withRaw } from './determinism';

/** Issue 7: a rebuild of cohorts is byte-identical to what live processing built, on a mixed stream. */
describe('replay determinism: cohorts (real Kafka + Postgres)', () => {
  const env = replayStack('replay_cohorts');

  it('rebuilds memberships, accounts, plans and tenant settings exactly as live instances built them through two rebalances', async () => {
    const { stack, publisher } = env();
    const rand = prng(77);
    const events: DomainEvent[] = [];
    for (const tenantId of ['tn_ca', 'tn_cb', 'tn_cc']) {
      const t = { tenantId };
      events.push(planSync('starter', 1000, may(1), t), planSync('pro', 10000, may(1), t), planSync('scale', 30000, may(1), t));
      for (let c = 0; c < 14; c++) {
        const customer = `cus_${c}`;
        const plan = c % 5 === 0 ? ['pro', 10000] as const : ['starter', 1000] as const;
        events.push(valuedSnapshot(customer, may(1 + (c % 3)), 'active', [planItem(plan[0], plan[1], 1 + (c % 4))], t));
        // Some accounts stop being active halfway through the month (silent churn candidates).
        const lastDay = c % 4 === 1 ? 8 : 28;
        for (let d = 2; d <= lastDay; d++) {
          if (rand() < 0.6) events.push(pageview(customer, may(d, `${String(8 + (c % 10)).padStart(2, '0')}:00:00.000`), t));
          if (rand() < 0.3) events.push(productEvent(customer, may(d, '11:30:00.000'), 'EXPORT_CREATED', { exportType: 'csv' }, t));
        }
        if (c % 3 === 0) events.push(limitReport(customer, may(6 + (c % 10)), 80 + c, 100, t));
        if (c % 7 === 2) events.push(premiumUse(customer, may(12), 'audit_export', t));
        if (c % 4 === 3) {
          const first = pulsoraRevenue(customer, may(5), { event_type: 'subscription', amount: 49 }, t);
          events.push(first, pulsoraRevenue(customer, may(19), { event_type: 'upgrade', amount: 99 }, t));
        }
        if (c % 6 === 5) events.push(valuedSnapshot(customer, may(20), 'canceled', null, t));
      }
      events.push(settingsChanged({ limitThresholdPercent: 85, silentWindowDays: 10 }, may(14), t));
      // The clock: one tick a day per tenant (a tick's event id is its tenant and instant, so a repeated tick is one event).
      for (let d = 2; d <= 31; d++) events.push(tick(may(d, '23:59:59.999'), t));
      events.push(tick(plus(may(31), 10), t));
    }
    const stream = mixed(events.map((e) => toEnvelope(e)), { seed: 13, window: 120, duplicates: 0.04, late: 0.03 });
    // Poison: a settings change out of range.
    stream.splice(400, 0, toEnvelope(settingsChanged({ silentWindowDays: 0 }, may(9), { tenantId: 'tn_cb', eventId: 'poison-settings' })));
    const entries = withRaw(stream, [
      { topic: stack.topics.name('clock'), key: 'tn_ca:', value: '{"not": "an envelope"' },
      { topic: stack.topics.raw('revlint'), key: 'tn_cc:cus_1', value: 'plain text' },
    ]);

    const rows = expectIdenticalRebuild(await liveThenReplay(stack, publisher, cohortsApp, thirds(entries)), {
      tables: [...COHORT_TABLES, 'checkpoints', 'dead_letters', 'documents', 'processed_keys'],
      nonEmpty: [...COHORT_TABLES, 'processed_keys'],
      // The settings out of range, two records that are no envelope.
      deadLetters: 3,
    });
    expect(rows.documents).toBe(3); // one per tenant
  });
});
