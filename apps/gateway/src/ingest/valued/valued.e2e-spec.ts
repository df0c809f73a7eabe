import { hashEmail, TenantDirectory } from '@revstream/tenancy';
import { expectRefusedWhileKafkaIsDown, type GatewayHarness, kafkaDownEnv, sideGateway, startGatewayHarness } from '../../testing/gateway-harness';
import { VALUED_SEED_BODIES } from './valued.fixtures';

const PATH = '/events';

describe('Valued: POST /events, category "revenue" (real broker)', () => {
  let h: GatewayHarness;
  let auth: Record<string, string>;

  beforeAll(async () => {
    h = await startGatewayHarness('valued');
    auth = { authorization: `Bearer ${h.tenant.tokens.ingest}` };
  });
  afterAll(async () => h.close());

  const mine = async (tenantId: string) => (await h.readAll('valued')).filter((r) => r.event.metadata.tenantId === tenantId);

  it('accepts each of the seed examples verbatim, answers 202 {"success":true}, and publishes the body as sent', async () => {
    for (const [name, body] of Object.entries(VALUED_SEED_BODIES)) {
      const response = await h.request('POST', PATH, body, auth);
      expect({ name, status: response.status, body: response.body }).toEqual({ name, status: 202, body: { success: true } });
    }
    const events = (await mine(h.tenant.tenantId)).map((r) => r.event);
    expect(events).toHaveLength(5);
    const byKey = (key: string) => events.filter((e) => e.metadata.idempotencyKey === key);
    // The primary resource names the idempotency key: the invoice, else the subscription, else the synced price.
    expect(byKey('sub-321')).toHaveLength(3);
    expect(byKey('inv-924')).toHaveLength(1);
    expect(byKey('price-399-monthly-plus')).toHaveLength(1);
    for (const [name, body] of Object.entries(VALUED_SEED_BODIES)) {
      expect({ name, found: events.some((e) => JSON.stringify(e.data) === JSON.stringify(body)) }).toEqual({ name, found: true });
    }
    const sync = byKey('price-399-monthly-plus')[0]!;
    expect(sync.metadata.customerId).toBeNull();
    expect(byKey('inv-924')[0]!.metadata.customerId).toBe('valued-cus-312');
  });

  it('names the Stripe customer when the customer carries one, hashes emails, upper-cases currencies', async () => {
    const tenant = await h.repo.createTenant('valued stripe');
    const body = {
      category: 'revenue',
      customer: { id: 'c-1', email: 'Pay@Example.com', name: 'Pat', stripe_customer_id: 'cus_V1' },
      subscription: { source_key: 'sub-1', status: 'trialing', currency: 'eur' },
    };
    expect((await h.request('POST', PATH, body, { authorization: `Bearer ${tenant.tokens.ingest}` })).status).toBe(202);
    const [record] = await mine(tenant.tenantId);
    expect(record!.raw).not.toMatch(/pay@example\.com/i);
    const salt = h.app.get(TenantDirectory).tenant(tenant.tenantId)!.emailSalt;
    expect(record!.event.metadata.customerId).toBe('cus_V1');
    expect(record!.event.data).toEqual({ ...body, customer: { ...body.customer, email: hashEmail(salt, 'pay@example.com') }, subscription: { ...body.subscription, currency: 'EUR' } });
  });

  it('400 listing every problem by path; nothing published', async () => {
    const before = await h.topicSize('valued');
    const bad = structuredClone(VALUED_SEED_BODIES.subscriptionWithTiers!) as { subscription_items: Array<{ plan: { price: Record<string, unknown> } }>; subscription: Record<string, unknown> };
    bad.subscription.status = 'alive';
    bad.subscription_items[1]!.plan.price.unit_amount = 3.99;
    bad.subscription_items[1]!.plan.price.tiers = [{ unit_amount: 399, up_to: -1 }];
    const response = await h.request('POST', PATH, bad, auth);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: 'Invalid request',
      details: [
        'subscription.status: must be one of active, past_due, trialing, incomplete, incomplete_expired, paused, canceled, unpaid',
        'subscription_items[1].plan.price.unit_amount: must be an integer amount in minor units (999 for 9.99)',
        'subscription_items[1].plan.price.tiers[0].up_to: must be a non-negative integer, "inf" or null',
      ],
    });
    const shapes: Array<[Record<string, unknown>, string[]]> = [
      [{ category: 'revenue' }, ['body: needs a customer and a subscription (or, to sync the catalog, a plan and/or a price)']],
      [{ category: 'revenue', customer: { id: '1' } }, ['subscription: is required with a customer, subscription items or an invoice']],
      [{ category: 'usage', customer: { id: '1' } }, ['category: must be "revenue"']],
    ];
    for (const [body, details] of shapes) expect((await h.request('POST', PATH, body, auth)).body).toEqual({ error: 'Invalid request', details });
    const secret = await h.request('POST', PATH, { ...VALUED_SEED_BODIES.subscription, customer: { id: '1', token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc' } }, auth);
    expect(secret.body).toEqual({ error: 'Secret-like values are not accepted', details: ['customer.token: secret-like field (token); do not send credentials'] });
    expect(await h.topicSize('valued')).toBe(before);
  });

  it('401 for a missing or invalid token; Fastify refusals in its format', async () => {
    const response = await h.request('POST', PATH, VALUED_SEED_BODIES.subscription, { authorization: 'Bearer nope' });
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ error: 'Invalid API key' });
    const proto = await h.request('POST', PATH, '{"category":"revenue","constructor":{"prototype":{"x":1}}}', auth);
    expect(proto.status).toBe(400);
    expect(proto.body).toMatchObject({ error: 'Malformed JSON body' });
    const big = await h.request('POST', PATH, JSON.stringify({ ...VALUED_SEED_BODIES.subscription, pad: 'x'.repeat(1_100_000) }), auth);
    expect(big.status).toBe(413);
    expect(big.body).toEqual({ error: 'Request body is larger than 1 MiB' });
  });

  describe('when Kafka does not answer', () => {
    const url = sideGateway(() => h, kafkaDownEnv);

    it('answers 503 with Retry-After, never 202, and publishes nothing', async () => {
      const response = await expectRefusedWhileKafkaIsDown(h, url(), { source: 'valued', path: PATH, body: VALUED_SEED_BODIES.subscriptionWithInvoice, headers: auth });
      expect(response.body).toEqual({ error: 'Temporarily unable to store events; retry later' });
    });
  });
});
