import { expectRefusedWhileKafkaIsDown, type GatewayHarness, kafkaDownEnv, send, sideGateway, startGatewayHarness } from '../../testing/gateway-harness';

const PATH = '/api/v1/usage';

describe('Revnu: POST /api/v1/usage (real broker)', () => {
  let h: GatewayHarness;
  let auth: Record<string, string>;

  beforeAll(async () => {
    h = await startGatewayHarness('revnu');
    auth = { authorization: `Bearer ${h.tenant.tokens.ingest}` };
    const base = { tenantId: h.tenant.tenantId, currency: 'USD', flatAmount: null };
    // The products the seed's examples name, and a flat one.
    await h.repo.upsertProduct({ ...base, productId: 'k57abc123...', model: 'metered', eventName: 'api_calls', unitAmount: 2 });
    await h.repo.upsertProduct({ ...base, productId: 'your_product_id', model: 'hybrid', eventName: 'api_requests', unitAmount: 1, flatAmount: 2900 });
    await h.repo.upsertProduct({ ...base, productId: 'prod_flat', model: 'flat', eventName: 'seats', unitAmount: null, flatAmount: 4900 });
  });
  afterAll(async () => h.close());

  const mine = async (tenantId: string) => (await h.readAll('revnu')).filter((r) => r.event.metadata.tenantId === tenantId).map((r) => r.event);

  it('accepts the seed request body and the integration example, answers 200 {success, value, eventName}, and publishes with the event name', async () => {
    const seed = await h.request('POST', PATH, { productId: 'k57abc123...', stripeCustomerId: 'cus_xxxxx', value: 150 }, auth);
    expect(seed.status).toBe(200);
    expect(seed.body).toEqual({ success: true, value: 150, eventName: 'api_calls' });
    // reportUsage(req.customerId, 1) from the seed's integration example.
    const example = await h.request('POST', PATH, { productId: 'your_product_id', stripeCustomerId: 'cus_Q1w2e3', value: 1 }, { authorization: `Bearer ${h.tenant.tokens.ingest}`, 'content-type': 'application/json' });
    expect(example.body).toEqual({ success: true, value: 1, eventName: 'api_requests' });

    const events = await mine(h.tenant.tenantId);
    expect(events).toHaveLength(2);
    const usage = events.find((e) => e.metadata.customerId === 'cus_xxxxx')!;
    expect(usage.type).toBe('revnu.usage');
    expect(usage.data).toEqual({ productId: 'k57abc123...', stripeCustomerId: 'cus_xxxxx', value: 150, eventName: 'api_calls' });
    expect(usage.metadata).toMatchObject({ source: 'revnu', idempotencyKey: null, producer: 'gateway' });
  });

  it('400 when the value is not a positive whole number, or the product is not metered; 404 for an unknown product', async () => {
    const before = await h.topicSize('revnu');
    for (const value of [0, -3, 0.5, '150', null]) {
      const response = await h.request('POST', PATH, { productId: 'k57abc123...', stripeCustomerId: 'cus_1', value }, auth);
      expect({ value, status: response.status, body: response.body }).toEqual({
        value,
        status: 400,
        body: { error: 'value: must be a positive whole number', details: ['value: must be a positive whole number'] },
      });
    }
    const flat = await h.request('POST', PATH, { productId: 'prod_flat', stripeCustomerId: 'cus_1', value: 1 }, auth);
    expect(flat.status).toBe(400);
    expect(flat.body).toEqual({ error: 'Product does not support metered billing', details: ['Product does not support metered billing'] });
    const unknown = await h.request('POST', PATH, { productId: 'prod_nope', stripeCustomerId: 'cus_1', value: 1 }, auth);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: 'Product not found' });
    const missing = await h.request('POST', PATH, { value: 1 }, auth);
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({
      error: 'productId: must be a non-empty string; stripeCustomerId: must be a non-empty string',
      details: ['productId: must be a non-empty string', 'stripeCustomerId: must be a non-empty string'],
    });
    expect(await h.topicSize('revnu')).toBe(before);
  });

  it('401 for a missing or invalid key', async () => {
    for (const headers of [{}, { authorization: 'Bearer rev_your_api_key' }, { authorization: `Bearer ${h.tenant.tokens.secret}` }] as Array<Record<string, string>>) {
      const response = await h.request('POST', PATH, { productId: 'k57abc123...', stripeCustomerId: 'cus_1', value: 1 }, headers);
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ error: 'Invalid API key' });
    }
  });

  it('answers malformed JSON and unknown content types in its format', async () => {
    const malformed = await h.request('POST', PATH, '{"value": 1', auth);
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ error: expect.stringMatching(/^body: /) });
    const text = await h.request('POST', PATH, 'value=1', { ...auth, 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    expect(text.body).toEqual({ error: 'Unsupported content type: send application/json' });
  });

  describe('rate limits: 500 requests per minute per tenant by default, configurable', () => {
    const limited = sideGateway(() => h, () => ({ REVNU_RATE_LIMIT_PER_MINUTE: '3' }));

    it('429 with Retry-After after the budget, per tenant', async () => {
      const tenant = await h.repo.createTenant('revnu limited');
      await h.repo.upsertProduct({ tenantId: tenant.tenantId, productId: 'p', model: 'metered', eventName: 'calls', currency: 'USD', unitAmount: 1, flatAmount: null });
      const headers = { authorization: `Bearer ${tenant.tokens.ingest}` };
      const statuses: number[] = [];
      let last;
      for (let i = 0; i < 4; i++) {
        last = await send(limited(), 'POST', PATH, { productId: 'p', stripeCustomerId: 'cus_1', value: 1 }, headers);
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(last!.body).toEqual({ error: 'Rate limit exceeded' });
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await send(limited(), 'POST', PATH, { productId: 'k57abc123...', stripeCustomerId: 'cus_1', value: 1 }, auth)).status).toBe(200);
    });

    it('defaults to 500 per minute', async () => {
      const tenant = await h.repo.createTenant('revnu default limit');
      await h.repo.upsertProduct({ tenantId: tenant.tenantId, productId: 'p', model: 'metered', eventName: 'calls', currency: 'USD', unitAmount: 1, flatAmount: null });
      const headers = { authorization: `Bearer ${tenant.tokens.ingest}` };
      // 500 unauthenticated-product requests spend the budget without publishing (404 after the limiter).
      const statuses = await Promise.all(Array.from({ length: 500 }, () => h.request('POST', PATH, { productId: 'none', stripeCustomerId: 'cus_1', value: 1 }, headers).then((r) => r.status)));
      expect(new Set(statuses)).toEqual(new Set([404]));
      const over = await h.request('POST', PATH, { productId: 'p', stripeCustomerId: 'cus_1', value: 1 }, headers);
      expect(over.status).toBe(429);
    });
  });

  describe('when Kafka does not answer', () => {
    const url = sideGateway(() => h, kafkaDownEnv);

    it('answers 502 (the seed: "Failed to report usage"), never 200, and publishes nothing', async () => {
      const body = { productId: 'k57abc123...', stripeCustomerId: 'cus_xxxxx', value: 150 };
      const response = await expectRefusedWhileKafkaIsDown(h, url(), { source: 'revnu', path: PATH, body, headers: auth, status: 502 });
      expect(response.body).toEqual({ error: 'Failed to report usage' });
    });
  });
});
