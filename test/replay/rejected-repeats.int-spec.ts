import { Client } from 'pg';
import { billingApp } from '../../apps/billing/src/billing.app';
import { BILLING_TABLE_NAMES } from '../../apps/billing/src/billing.read-model';
import { pulsoraEnvelope } from '../../apps/billing/src/testing/billing-fixtures';
import { billingWorkload } from '../../apps/billing/src/testing/billing-workload';
import { liveThenReplay, replayStack, thirds, withRaw } from './determinism';

/**
 * An event `evolve` rejects, followed by a repeat of its dedup key: the same event delivered twice,
 * and a corrected resend under the same idempotency key. Live, one record per transaction, each pair
 * falls into two batches; the rebuild reads them in one. The outcome must not depend on that: both
 * deliveries of the bad event are dead-lettered, and the corrected resend applies.
 */
describe('replay determinism: rejected events and repeats of their dedup key (real Kafka + Postgres)', () => {
  const env = replayStack('replay_rejected');

  it('applies a corrected resend and dead-letters each delivery of a rejected event, wherever batches are cut', async () => {
    const { stack, publisher } = env();
    const base = [...billingWorkload({ tenants: ['tn_xa', 'tn_xb'], customersPerTenant: 6, eventsPerCustomer: 4, idPrefix: 'rj', seed: 21 })];
    const bad = pulsoraEnvelope('rj-bad-1', 'tn_xb', '2026-02-04T10:00:00.000Z', { customer_id: 'cus_fix', transaction_id: 'txn_fix', event_type: 'subscription', amount: 49, currency: 'dollars' });
    const fixed = pulsoraEnvelope('rj-fixed-1', 'tn_xb', '2026-02-04T10:00:05.000Z', { customer_id: 'cus_fix', transaction_id: 'txn_fix', event_type: 'subscription', amount: 4900, currency: 'USD' });
    const twice = pulsoraEnvelope('rj-bad-2', 'tn_xa', '2026-02-05T10:00:00.000Z', { customer_id: 'cus_twice', transaction_id: 'txn_twice', event_type: 'subscription', amount: 10, currency: '??' });
    const stream = [...base];
    stream.splice(Math.floor(stream.length / 2), 0, bad, fixed, twice, twice);

    const run = await liveThenReplay(stack, publisher, billingApp, thirds(withRaw(stream, [])), 1);
    expect(run.result.differences).toEqual([]);
    expect(run.result.swapped).toBe(true);
    expect(run.result.compared.map((c) => c.table).sort()).toEqual([...BILLING_TABLE_NAMES, 'checkpoints', 'dead_letters', 'documents', 'processed_keys'].sort());

    const pg = new Client({ connectionString: stack.databaseUrl });
    await pg.connect();
    try {
      const dead = await pg.query<{ event_id: string }>(`SELECT event_id FROM "${billingApp.schema}".dead_letters ORDER BY event_id`);
      expect(dead.rows.map((r) => r.event_id)).toEqual(['rj-bad-1', 'rj-bad-2', 'rj-bad-2']);
      const mrr = await pg.query<{ amount: string }>(`SELECT amount::text FROM "${billingApp.schema}".customer_mrr WHERE tenant_id = 'tn_xb' AND customer_id = 'cus_fix'`);
      expect(mrr.rows.map((r) => r.amount)).toEqual(['490000']);
    } finally {
      await pg.end();
    }
  });
});
