import { createEnvelope, decodeEnvelope, type DomainEvent, encodeEnvelope, foldEvents } from '@revstream/events';
import { customerIdentityProjection as projection, customerIdentityReadModel, type IdentityEvent } from './customer-identity.projection';

let seq = 0;
const revlint = (stripe: string | null, occurredAt: string, extra: { externalUserId?: string | null; email?: string } = {}): IdentityEvent =>
  decodeEnvelope(
    encodeEnvelope(
      createEnvelope({
        eventId: `e${++seq}`,
        tenantId: 't1',
        type: 'revlint.product_event',
        receivedAt: '2026-06-01T00:00:00.000Z',
        occurredAt,
        customerId: stripe,
        producer: 'test',
        body: { externalUserId: 'externalUserId' in extra ? (extra.externalUserId ?? null) : 'u1', stripeCustomerId: stripe, type: 'LOGIN', occurredAt, properties: {}, ...(extra.email ? { email: extra.email } : {}) },
      }),
    ).value,
  ) as IdentityEvent;

const fold = (events: DomainEvent[]) => {
  const byKey = new Map<string, IdentityEvent[]>();
  for (const e of events as IdentityEvent[]) {
    const key = projection.keyOf(e);
    if (key !== null) byKey.set(key, [...(byKey.get(key) ?? []), e]);
  }
  return new Map([...byKey].map(([k, es]) => [k, foldEvents(projection, es)]));
};

describe('customer identity projection', () => {
  const events = [
    revlint('cus_a', '2026-05-01T10:00:00.000Z', { email: 'emailhash:v1:aa' }),
    revlint('cus_a', '2026-05-03T10:00:00+02:00', { email: 'emailhash:v1:aa' }),
    revlint('cus_b', '2026-05-02T10:00:00.000Z', { email: 'emailhash:v1:aa', externalUserId: null }),
  ];

  it('keeps, per Stripe customer, the latest time each alias was seen with it', () => {
    const state = fold(events);
    expect(state.get('t1|cus_a')).toEqual({ tenantId: 't1', stripeCustomerId: 'cus_a', aliases: { 'email:emailhash:v1:aa': '2026-05-03', 'external:u1': '2026-05-03' } });
    expect(state.get('t1|cus_b')).toEqual({ tenantId: 't1', stripeCustomerId: 'cus_b', aliases: { 'email:emailhash:v1:aa': '2026-05-02' } });
  });

  it('ignores events that show no Stripe customer with an alias', () => {
    expect(projection.keyOf(revlint(null, '2026-05-01T10:00:00.000Z'))).toBeNull();
  });

  it('gives the same state in any order, and when an event is applied twice', () => {
    const canonical = (m: Map<string, unknown>) => JSON.stringify([...m].sort(([a], [b]) => (a < b ? -1 : 1)));
    const reference = canonical(fold(events));
    expect(canonical(fold([...events].reverse()))).toBe(reference);
    expect(canonical(fold([events[1]!, events[0]!, events[1]!, events[2]!, events[0]!]))).toBe(reference);
  });

  it('gives events with the same effect (customer, aliases, UTC day) one dedup key, and others different ones', () => {
    const key = projection.dedupKey!;
    expect(key(revlint('cus_a', '2026-05-03T01:00:00.000Z', { email: 'emailhash:v1:aa' }))).toBe(key(revlint('cus_a', '2026-05-03T23:00:00.000Z', { email: 'emailhash:v1:aa' })));
    expect(key(revlint('cus_a', '2026-05-03T01:00:00.000Z', { email: 'emailhash:v1:aa' }))).not.toBe(key(revlint('cus_a', '2026-05-04T01:00:00.000Z', { email: 'emailhash:v1:aa' })));
    expect(key(revlint('cus_a', '2026-05-03T01:00:00.000Z', { email: 'emailhash:v1:aa' }))).not.toBe(key(revlint('cus_a', '2026-05-03T01:00:00.000Z', { email: 'emailhash:v1:bb' })));
  });

  it('renders one row per alias, sorted', () => {
    expect(customerIdentityReadModel.render('t1|cus_a', fold(events).get('t1|cus_a')!)).toEqual({
      customer_aliases: [
        { tenant_id: 't1', kind: 'email', alias: 'emailhash:v1:aa', stripe_customer_id: 'cus_a', last_seen_on: '2026-05-03' },
        { tenant_id: 't1', kind: 'external', alias: 'u1', stripe_customer_id: 'cus_a', last_seen_on: '2026-05-03' },
      ],
    });
  });
});
