import { hashEmail, TenantDirectory } from '@revstream/tenancy';
import { expectRefusedWhileKafkaIsDown, type GatewayHarness, kafkaDownEnv, send, sideGateway, startGatewayHarness } from '../../testing/gateway-harness';

const PATH = '/api/ingest';

/** Seed 001's raw HTTP payload, verbatim but for the token. */
const rawPayload = (token: string): Record<string, unknown> => ({
  type: 'revenue',
  token,
  data: {
    visitor_fingerprint: 'fp_abc',
    session_id: 'sess_xyz',
    customer_id: 'cus_42',
    amount: 499,
    currency: 'USD',
    transaction_id: 'ch_1Nv...',
    payment_processor: 'stripe',
    event_type: 'purchase',
  },
});

/** What `revenue.track({...})` of seed 001's SDK example sends: its data (amount 499.0, transaction 'ch_1Nv…', metadata). */
const sdkTrackPayload = (token: string): Record<string, unknown> => {
  const raw = rawPayload(token);
  return { ...raw, data: { ...(raw.data as object), amount: 499.0, transaction_id: 'ch_1Nv…', metadata: { plan: 'pro', seats: 10 } } };
};

const revenue = (token: string, data: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'revenue',
  token,
  data: { visitor_fingerprint: 'fp_1', session_id: 's_1', customer_id: 'cus_1', amount: 10, transaction_id: `tx_${Math.random()}`, ...data },
});

describe('Pulsora: POST /api/ingest (real broker)', () => {
  let h: GatewayHarness;
  let secret: string;
  let pub: string;

  beforeAll(async () => {
    h = await startGatewayHarness('pulsora');
    ({ secret, public: pub } = h.tenant.tokens);
  });
  afterAll(async () => h.close());

  const mine = async (tenantId: string) => (await h.readAll('pulsora')).filter((r) => r.event.metadata.tenantId === tenantId);

  it('accepts the raw HTTP payload and the SDK track() payload verbatim, answers 202 {"success":true}, and never stores the token', async () => {
    const raw = await h.request('POST', PATH, rawPayload(secret), { 'x-api-token': secret });
    expect(raw.status).toBe(202);
    expect(raw.body).toEqual({ success: true });
    const sdk = await h.request('POST', PATH, sdkTrackPayload(secret), { 'x-api-token': secret });
    expect(sdk.status).toBe(202);
    expect(sdk.body).toEqual({ success: true });

    const records = await mine(h.tenant.tenantId);
    expect(records).toHaveLength(2);
    for (const r of records) expect(r.raw).not.toContain(secret);
    const [first, second] = records.map((r) => r.event).sort((a, b) => (a.metadata.idempotencyKey! < b.metadata.idempotencyKey! ? -1 : 1));
    expect(first!.type).toBe('pulsora.revenue');
    expect(first!.metadata).toMatchObject({ customerId: 'cus_42', idempotencyKey: 'ch_1Nv...', source: 'pulsora', producer: 'gateway' });
    expect(first!.data).toEqual({
      ...(rawPayload(secret).data as object),
      customer_subscription_id: null,
      mrr_impact: null,
      is_recurring: null,
      metadata: null,
    });
    expect(second!.metadata.idempotencyKey).toBe('ch_1Nv…');
    expect(second!.data).toMatchObject({ amount: 499, metadata: { plan: 'pro', seats: 10 } });
  });

  it('takes the token from the body when there is no header, and defaults the currency to USD', async () => {
    const tenant = await h.repo.createTenant('body token');
    const response = await h.request('POST', PATH, revenue(tenant.tokens.secret, { currency: undefined, amount: 12.5 }));
    expect(response.status).toBe(202);
    const [record] = await mine(tenant.tenantId);
    expect(record!.event.data).toMatchObject({ amount: 12.5, currency: 'USD' });
  });

  it('accepts pageview, event and identify with a public or a secret token, as product activity; emails hashed', async () => {
    const tenant = await h.repo.createTenant('activity');
    const bodies = [
      { type: 'pageview', token: tenant.tokens.public, data: { url: 'https://app.example.com/pricing', visitor_fingerprint: 'fp_1', session_id: 's_1' } },
      { type: 'event', token: tenant.tokens.public, data: { name: 'export_clicked', visitor_fingerprint: 'fp_1', customer_id: 'cus_7' } },
      { type: 'identify', token: tenant.tokens.secret, data: { customer_id: 'cus_7', email: 'Ann@Example.com', visitor_fingerprint: 'fp_1' } },
    ];
    for (const body of bodies) expect((await h.request('POST', PATH, body)).status).toBe(202);
    // Browsers' sendBeacon posts text/plain: accepted as JSON on this endpoint.
    const beacon = await h.request('POST', PATH, JSON.stringify(bodies[0]), { 'content-type': 'text/plain;charset=UTF-8' });
    expect(beacon.status).toBe(202);
    const records = await mine(tenant.tenantId);
    expect(records.map((r) => r.event.type).sort()).toEqual(['pulsora.event', 'pulsora.identify', 'pulsora.pageview', 'pulsora.pageview']);
    const salt = h.app.get(TenantDirectory).tenant(tenant.tenantId)!.emailSalt;
    const identify = records.find((r) => r.event.type === 'pulsora.identify')!;
    expect(identify.raw).not.toMatch(/ann@example\.com/i);
    expect(identify.event.data).toEqual({ customer_id: 'cus_7', email: hashEmail(salt, 'ann@example.com'), visitor_fingerprint: 'fp_1' });
    expect(identify.event.metadata.customerId).toBe('cus_7');
  });

  it('403: revenue with a public token', async () => {
    const before = await h.topicSize('pulsora');
    const response = await h.request('POST', PATH, rawPayload(pub), { 'x-api-token': pub });
    expect(response.status).toBe(403);
    expect(response.body).toEqual({ error: 'Revenue events require secret token' });
    expect(await h.topicSize('pulsora')).toBe(before);
  });

  it('401: missing, unknown, revoked-kind or ingest tokens', async () => {
    for (const [body, headers] of [
      [rawPayload(''), {}],
      [rawPayload('sec_unknown'), { 'x-api-token': 'sec_unknown' }],
      [rawPayload(h.tenant.tokens.ingest), { 'x-api-token': h.tenant.tokens.ingest }],
    ] as const) {
      const response = await h.request('POST', PATH, body, headers);
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ error: 'Invalid API token' });
    }
  });

  it('400 {"message"} listing every problem: missing fields, wrong types, precision, negative amounts', async () => {
    const before = await h.topicSize('pulsora');
    const missing = await h.request('POST', PATH, { type: 'revenue', token: secret, data: { amount: 'lots', currency: 'dollars' } });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({
      message: [
        'data.visitor_fingerprint: must be a non-empty string',
        'data.session_id: must be a non-empty string',
        'data.customer_id: must be a non-empty string',
        'data.amount: must be a number',
        'data.currency: must be an ISO 4217 currency code (e.g. USD)',
        'data.transaction_id: must be a non-empty string',
      ].join('; '),
    });
    const cases: Array<[Record<string, unknown>, string]> = [
      [revenue(secret, { amount: 499.999 }), 'data.amount: has more decimal places than its currency allows'],
      [revenue(secret, { amount: 1.5, currency: 'JPY' }), 'data.amount: has more decimal places than its currency allows'],
      [revenue(secret, { amount: -5, event_type: 'purchase' }), 'data.amount: must not be negative for purchase events (only churn and refund may carry a negative amount)'],
      [revenue(secret, { event_type: 'chargeback' }), 'data.event_type: must be one of purchase, subscription, renewal, upgrade, downgrade, churn, refund'],
      [{ type: 'purchase', token: secret, data: {} }, 'type: must be one of revenue, pageview, event, identify'],
      [{ type: 'pageview', token: secret, data: 'x' }, 'data: must be a JSON object'],
    ];
    for (const [body, message] of cases) {
      const response = await h.request('POST', PATH, body);
      expect({ status: response.status, body: response.body }).toEqual({ status: 400, body: { message } });
    }
    const secretLike = await h.request('POST', PATH, revenue(secret, { metadata: { password: 'hunter2' } }));
    expect(secretLike.body).toEqual({ message: 'data.metadata.password: secret-like field (password); do not send credentials' });
    expect(await h.topicSize('pulsora')).toBe(before);
  });

  it('accepts negative amounts and MRR impact for churn and refund', async () => {
    const tenant = await h.repo.createTenant('refunds');
    for (const event_type of ['refund', 'churn']) {
      const response = await h.request('POST', PATH, revenue(tenant.tokens.secret, { event_type, amount: -49.99, mrr_impact: -49.99 }));
      expect(response.status).toBe(202);
    }
    expect(await mine(tenant.tenantId)).toHaveLength(2);
  });

  it('answers malformed JSON, __proto__, unknown content types and oversized bodies in its own format', async () => {
    const malformed = await h.request('POST', PATH, '{"type":', { 'x-api-token': secret });
    expect(malformed.status).toBe(400);
    expect(Object.keys(malformed.body as object)).toEqual(['message']);
    const proto = await h.request('POST', PATH, '{"type":"event","data":{"__proto__":{"x":1}}}', { 'x-api-token': secret });
    expect(proto.status).toBe(400);
    expect(Object.keys(proto.body as object)).toEqual(['message']);
    const form = await h.request('POST', PATH, 'type=revenue', { 'x-api-token': secret, 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
    expect(form.body).toEqual({ error: 'Unsupported content type: send application/json' });
    const big = await h.request('POST', PATH, JSON.stringify(revenue(secret, { metadata: { blob: 'x'.repeat(1_100_000) } })), { 'x-api-token': secret });
    expect(big.status).toBe(413);
    expect(big.body).toEqual({ error: 'Request body is larger than 1 MiB' });
  });

  describe('rate limits', () => {
    const limited = sideGateway(() => h, () => ({ PULSORA_RATE_LIMIT_PER_MINUTE: '2' }));

    it('429 {"error":"Rate limited"} with Retry-After once the tenant spent its budget; other tenants unaffected', async () => {
      const a = await h.repo.createTenant('limited a');
      const b = await h.repo.createTenant('limited b');
      const statuses: number[] = [];
      let last;
      for (let i = 0; i < 3; i++) {
        last = await send(limited(), 'POST', PATH, revenue(a.tokens.secret));
        statuses.push(last.status);
      }
      expect(statuses).toEqual([202, 202, 429]);
      expect(last!.body).toEqual({ error: 'Rate limited' });
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await send(limited(), 'POST', PATH, revenue(b.tokens.secret))).status).toBe(202);
    });
  });

  describe('when Kafka does not answer', () => {
    const url = sideGateway(() => h, kafkaDownEnv);

    it('answers 503 with Retry-After, never 202, and publishes nothing', async () => {
      const response = await expectRefusedWhileKafkaIsDown(h, url(), { source: 'pulsora', path: PATH, body: rawPayload(secret), headers: { 'x-api-token': secret } });
      expect(response.body).toEqual({ error: 'Temporarily unable to store events; retry later' });
    });
  });
});
