import type { Envelope } from '@revstream/events';
import { billingApp } from '../../apps/billing/src/billing.app';
import { BILLING_TABLE_NAMES } from '../../apps/billing/src/billing.read-model';
import { pulsoraEnvelope, valuedEnvelope } from '../../apps/billing/src/testing/billing-fixtures';
import { billingWorkload, prng } from '../../apps/billing/src/testing/billing-workload';
import { expectIdenticalRebuild, liveThenReplay, mixed, replayStack, thirds, withRaw } from './determinism';

/** Issue 7: a rebuild of billing is byte-identical to what live processing built, on a mixed stream. */
describe('replay determinism: billing (real Kafka + Postgres)', () => {
  const env = replayStack('replay_billing');

  it('rebuilds subscriptions, invoices, MRR, documents, dedup keys and dead letters exactly as live instances built them through two rebalances', async () => {
    const { stack, publisher } = env();
    const base = [...billingWorkload({ tenants: ['tn_ra', 'tn_rb', 'tn_rc'], customersPerTenant: 30, eventsPerCustomer: 8, idPrefix: 'rd', seed: 11 })];
    // Client retries of Pulsora transactions: a new event id, other content, the same transaction_id (the first one counts).
    const rand = prng(5);
    const retries: Envelope[] = base
      .filter((e): e is Envelope<'pulsora.revenue'> => e.type === 'pulsora.revenue' && rand() < 0.08)
      .map((e) => ({ ...e, eventId: `${e.eventId}-retry`, body: { ...e.body, amount: e.body.amount + 1 } }));
    // Poison: a Valued item without a price, a Pulsora event in no currency.
    const noPrice = valuedEnvelope('rd-poison-1', 'tn_ra', '2026-02-03T10:00:00.000Z', {
      category: 'revenue', customer: { id: 'cus_poison' }, subscription: { source_key: 'sub_p', status: 'active', currency: 'USD' },
      subscription_items: [{ source_key: 'i', quantity: 1, plan: { source_key: 'p' } }],
    });
    const badCurrency = pulsoraEnvelope('rd-poison-2', 'tn_rb', '2026-02-04T10:00:00.000Z', { customer_id: 'cus_fix', transaction_id: 'txn_fix', event_type: 'subscription', amount: 49, currency: 'dollars' });

    const stream = mixed([...base, ...retries], { seed: 3, window: 150, duplicates: 0.04, late: 0.03 });
    stream.splice(200, 0, noPrice, badCurrency);
    const entries = withRaw(stream, [
      { topic: stack.topics.raw('valued'), key: 'tn_ra:cus_x', value: 'not json at all' },
      { topic: stack.topics.raw('pulsora'), key: 'tn_rb:cus_y', value: '{"eventId":"no-envelope"}' },
    ]);

    expectIdenticalRebuild(await liveThenReplay(stack, publisher, billingApp, thirds(entries)), {
      tables: [...BILLING_TABLE_NAMES, 'checkpoints', 'dead_letters', 'documents', 'processed_keys'],
      nonEmpty: ['customers', 'subscriptions', 'subscription_items', 'invoices', 'mrr_movements', 'mrr_daily', 'prices', 'documents', 'processed_keys'],
      // Every poison record is visible: two invalid bodies, two records that are no envelope.
      deadLetters: 4,
    });
  });
});
