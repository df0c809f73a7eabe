import { createEnvelope, type Envelope } from '@revstream/events';
import { CUSTOMER_ALIASES_TABLE } from '../../apps/gateway/src/identity/customer-identity.projection';
import { gatewayIdentityApp } from '../../apps/gateway/src/identity/identity.app';
import { expectIdenticalRebuild, liveThenReplay, mixed, prng, replayStack, thirds, withRaw } from './determinism';

let seq = 0;
const productEvent = (tenantId: string, stripe: string | null, user: string | null, email: string | null, occurredAt: string): Envelope<'revlint.product_event'> =>
  createEnvelope({
    eventId: `idn-${++seq}`, tenantId, type: 'revlint.product_event', receivedAt: occurredAt, occurredAt, customerId: stripe ?? user, producer: 'test',
    body: { externalUserId: user, stripeCustomerId: stripe, type: 'LOGIN', occurredAt, properties: {}, ...(email ? { email } : {}) },
  });
const valuedCustomer = (tenantId: string, stripe: string, id: string, email: string | null, occurredAt: string): Envelope<'valued.revenue'> =>
  createEnvelope({
    eventId: `idn-${++seq}`, tenantId, type: 'valued.revenue', receivedAt: occurredAt, occurredAt, customerId: id, producer: 'test',
    body: { category: 'revenue', customer: { id, stripe_customer_id: stripe, ...(email ? { email } : {}) }, subscription: { source_key: `sub_${id}`, status: 'active', currency: 'USD' } },
  });

/** Issue 7: a rebuild of the gateway's identity projection is byte-identical to what live processing built. */
describe('replay determinism: gateway identity (real Kafka + Postgres)', () => {
  const env = replayStack('replay_identity');

  it('rebuilds the customer aliases exactly as live instances built them through two rebalances', async () => {
    const { stack, publisher } = env();
    const rand = prng(4);
    const events: Envelope[] = [];
    for (const tenantId of ['tn_ia', 'tn_ib', 'tn_ic']) {
      for (let c = 0; c < 40; c++) {
        const stripe = `cus_${c}`;
        for (let d = 1; d <= 12; d++) {
          const at = `2026-05-${String(d * 2).padStart(2, '0')}T${String(c % 24).padStart(2, '0')}:15:00.000Z`;
          const email = rand() < 0.5 ? `emailhash:v1:${(c * 7919 + (rand() < 0.1 ? d : 0)).toString(16).padStart(12, '0')}` : null;
          // Users move between customers now and then; some events show no customer at all.
          const user = `user_${c}_${rand() < 0.15 ? d % 3 : 0}`;
          if (rand() < 0.75) events.push(productEvent(tenantId, rand() < 0.9 ? stripe : null, user, email, at));
          else events.push(valuedCustomer(tenantId, stripe, `valued-${c}`, email, at));
        }
      }
    }
    const stream = mixed(events, { seed: 9, window: 200, duplicates: 0.05, late: 0.04 });
    // Poison: an event of a schema version newer than this code knows.
    stream.splice(500, 0, { ...productEvent('tn_ia', 'cus_1', 'user_1_0', null, '2026-05-09T10:00:00.000Z'), schemaVersion: 99 });
    const entries = withRaw(stream, [
      { topic: stack.topics.raw('revlint'), key: 'tn_ia:cus_2', value: 'not json' },
      { topic: stack.topics.raw('valued'), key: 'tn_ib:valued-3', value: '[]' },
    ]);

    const rows = expectIdenticalRebuild(await liveThenReplay(stack, publisher, gatewayIdentityApp, thirds(entries)), {
      tables: [CUSTOMER_ALIASES_TABLE, 'checkpoints', 'dead_letters', 'documents', 'processed_keys'],
      nonEmpty: [CUSTOMER_ALIASES_TABLE, 'documents', 'processed_keys'],
      // A schema version this code does not know, a record that is no JSON, one that is no envelope.
      deadLetters: 3,
    });
    expect(rows[CUSTOMER_ALIASES_TABLE]).toBeGreaterThan(200);
  });
});
