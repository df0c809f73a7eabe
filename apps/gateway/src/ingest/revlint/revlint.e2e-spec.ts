import type { DomainEvent } from '@revstream/events';
import { hashEmail, TenantDirectory } from '@revstream/tenancy';
import { eventually } from '@revstream/testing';
import { expectRefusedWhileKafkaIsDown, type GatewayHarness, kafkaDownEnv, send, sideGateway, startGatewayHarness } from '../../testing/gateway-harness';

const PATH = '/api/v1/events/product';

/** Every JSON body of seed 000, verbatim; the Next.js, Laravel, Rails and Node snippets written out as the JSON they send. */
const SEED_BODIES: Record<string, { events: Array<Record<string, unknown>> }> = {
  endpoint: {
    events: [{ externalUserId: 'user_123', stripeCustomerId: 'cus_123', type: 'PREMIUM_FEATURE_USED', occurredAt: '2026-05-29T15:00:00.000Z', properties: { feature: 'audit_export', plan: 'starter' } }],
  },
  nextjs: {
    // user.id may be a number in a JS app; JSON.stringify drops nothing here.
    events: [{ externalUserId: 4821, stripeCustomerId: 'cus_Nx4821', type: 'API_LIMIT_USED', occurredAt: '2026-05-29T15:01:02.345Z', properties: { usage: 91000, limit: 100000, unit: 'api_calls' } }],
  },
  laravel: {
    events: [{ externalUserId: '42', stripeCustomerId: 'cus_L42', type: 'API_LIMIT_USED', occurredAt: '2026-05-29T15:00:00+00:00', properties: { usage: 880, limit: 1000, unit: 'api_calls' } }],
  },
  rails: {
    events: [{ externalUserId: '77', stripeCustomerId: 'cus_R77', type: 'SEAT_LIMIT_USED', occurredAt: '2026-05-29T15:00:00Z', properties: { seatsUsed: 9, seatLimit: 10 } }],
  },
  node: {
    events: [{ externalUserId: '1001', stripeCustomerId: null, type: 'PREMIUM_FEATURE_USED', occurredAt: '2026-05-29T15:02:00.000Z', properties: { feature: 'audit_export', plan: 'pro' } }],
  },
  expansionReady: {
    events: [
      { externalUserId: 'user_123', stripeCustomerId: 'cus_123', type: 'API_LIMIT_USED', occurredAt: '2026-05-29T15:05:00.000Z', properties: { usage: 91000, limit: 100000, metric: 'api_requests', window: 'monthly' } },
      { externalUserId: 'user_456', stripeCustomerId: 'cus_456', type: 'SEAT_LIMIT_USED', occurredAt: '2026-05-29T15:06:00.000Z', properties: { seatsUsed: 9, seatLimit: 10 } },
    ],
  },
  silentChurn: {
    events: [{ externalUserId: 'user_789', stripeCustomerId: 'cus_789', type: 'EXPORT_CREATED', occurredAt: '2026-05-29T15:10:00.000Z', properties: { exportType: 'audit_report' } }],
  },
};

const event = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  externalUserId: 'user_1',
  stripeCustomerId: 'cus_1',
  type: 'PREMIUM_FEATURE_USED',
  occurredAt: '2026-05-29T15:00:00.000Z',
  properties: { feature: 'x' },
  ...overrides,
});

describe('Revenue Linter: POST /api/v1/events/product (real broker)', () => {
  let h: GatewayHarness;
  let auth: Record<string, string>;
  const mine = (events: Array<{ event: DomainEvent }>, tenantId: string): DomainEvent[] => events.map((e) => e.event).filter((e) => e.metadata.tenantId === tenantId);

  beforeAll(async () => {
    h = await startGatewayHarness('revlint');
    auth = { authorization: `Bearer ${h.tenant.tokens.ingest}` };
  });
  afterAll(async () => h.close());

  it('accepts every seed body verbatim and publishes one envelope per event, keyed by tenant and customer', async () => {
    for (const [name, body] of Object.entries(SEED_BODIES)) {
      const response = await h.request('POST', PATH, body, auth);
      expect({ name, status: response.status, body: response.body }).toEqual({ name, status: 202, body: { success: true, accepted: body.events.length } });
    }
    const total = Object.values(SEED_BODIES).reduce((n, b) => n + b.events.length, 0);
    const records = await h.readAll('revlint');
    const events = mine(records, h.tenant.tenantId);
    expect(events).toHaveLength(total);
    const first = events.find((e) => e.type === 'revlint.product_event' && e.data.properties.feature === 'audit_export' && e.data.externalUserId === 'user_123')!;
    expect(first.metadata).toMatchObject({ tenantId: h.tenant.tenantId, source: 'revlint', customerId: 'cus_123', occurredAt: '2026-05-29T15:00:00.000Z', producer: 'gateway', idempotencyKey: null });
    expect(first.data).toEqual(SEED_BODIES.endpoint!.events[0]);
    // customerId: the Stripe customer id, else the app's user id (the Node snippet sends no Stripe id); numeric ids become strings.
    const node = events.find((e) => e.type === 'revlint.product_event' && e.data.externalUserId === '1001')!;
    expect(node.metadata.customerId).toBe('1001');
    expect(events.find((e) => e.type === 'revlint.product_event' && e.data.externalUserId === '4821')).toBeDefined();
    // occurredAt in any zone is normalized to UTC on the envelope; the body keeps what was sent.
    const laravel = events.find((e) => e.type === 'revlint.product_event' && e.data.externalUserId === '42')!;
    expect(laravel.metadata.occurredAt).toBe('2026-05-29T15:00:00.000Z');
    for (const r of records.filter((x) => x.event.metadata.tenantId === h.tenant.tenantId)) expect(r.key).toBe(`${h.tenant.tenantId}:${r.event.metadata.customerId}`);
  });

  it('gives a retried batch the same event ids, so consumers count it once', async () => {
    const tenant = await h.repo.createTenant('retries');
    const body = { events: [event({ externalUserId: 'retry_1', occurredAt: '2026-05-30T10:00:00.000Z' })] };
    for (let i = 0; i < 2; i++) expect((await h.request('POST', PATH, body, { authorization: `Bearer ${tenant.tokens.ingest}` })).status).toBe(202);
    const events = mine(await h.readAll('revlint'), tenant.tenantId);
    expect(events).toHaveLength(2);
    expect(events[0]!.metadata.eventId).toBe(events[1]!.metadata.eventId);
  });

  it('refuses a batch with one bad event whole, listing every problem by path, and publishes nothing of it', async () => {
    const before = await h.topicSize('revlint');
    const events = [event(), event(), event(), event({ occurredAt: 'yesterday' }), event({ type: '', externalUserId: null, stripeCustomerId: null })];
    const response = await h.request('POST', PATH, { events }, auth);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: 'Invalid request',
      details: ['events[3].occurredAt: must be an ISO-8601 date', 'events[4].type: must be a non-empty string'],
    });
    const missingIds = await h.request('POST', PATH, { events: [event({ externalUserId: null, stripeCustomerId: null })] }, auth);
    expect(missingIds.body).toEqual({ error: 'Invalid request', details: ['events[0]: needs externalUserId or stripeCustomerId'] });
    expect((await h.request('POST', PATH, { events: Array.from({ length: 1001 }, () => event()) }, auth)).body).toEqual({
      error: 'Invalid request',
      details: ['events: must contain at most 1000 events'],
    });
    expect((await h.request('POST', PATH, { events: [] }, auth)).status).toBe(400);
    expect((await h.request('POST', PATH, [event()], auth)).body).toEqual({ error: 'Invalid request', details: ['body: must be a JSON object'] });
    expect(await h.topicSize('revlint')).toBe(before);
  });

  it('accepts a full batch of 1000 events', async () => {
    const tenant = await h.repo.createTenant('thousand');
    const events = Array.from({ length: 1000 }, (_, i) => event({ externalUserId: `u${i}`, stripeCustomerId: `cus_${i}` }));
    const response = await h.request('POST', PATH, { events }, { authorization: `Bearer ${tenant.tokens.ingest}` });
    expect(response.body).toEqual({ success: true, accepted: 1000 });
    expect(mine(await h.readAll('revlint'), tenant.tenantId)).toHaveLength(1000);
  });

  it('refuses missing, unknown and wrong-kind tokens with 401', async () => {
    const body = SEED_BODIES.endpoint;
    for (const headers of [{}, { authorization: 'Bearer rsi_nope' }, { authorization: `Bearer ${h.tenant.tokens.read}` }, { authorization: h.tenant.tokens.ingest }] as Array<Record<string, string>>) {
      const response = await h.request('POST', PATH, body, headers);
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ error: 'Invalid API key' });
    }
  });

  it('refuses secret-like payloads with 400 naming the path', async () => {
    const before = await h.topicSize('revlint');
    const response = await h.request(
      'POST',
      PATH,
      { events: [event({ properties: { apiKey: 'abc123', note: 'Bearer abcdefghijklmnop' } }), event({ properties: { stripe: 'sk_live_51HxYzAbCdEfGh' } })] },
      auth,
    );
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: 'Secret-like values are not accepted',
      details: [
        'events[0].properties.apiKey: secret-like field (apiKey); do not send credentials',
        'events[0].properties.note: looks like a bearer credential; do not send credentials',
        'events[1].properties.stripe: looks like a Stripe secret key; do not send credentials',
      ],
    });
    expect(await h.topicSize('revlint')).toBe(before);
  });

  it('hashes emails with the tenant salt before publishing: no address reaches Kafka', async () => {
    const tenant = await h.repo.createTenant('emails');
    const body = {
      events: [event({ externalUserId: 'jane@example.com', stripeCustomerId: null, email: 'Jane@Example.com', properties: { contact: 'ops@acme.io', note: 'ask bob@acme.io', buyer_email: 'x' } })],
    };
    expect((await h.request('POST', PATH, body, { authorization: `Bearer ${tenant.tokens.ingest}` })).status).toBe(202);
    const records = (await h.readAll('revlint')).filter((r) => r.event.metadata.tenantId === tenant.tenantId);
    expect(records).toHaveLength(1);
    for (const address of ['jane@example.com', 'Jane@Example.com', 'ops@acme.io', 'bob@acme.io']) expect(records[0]!.raw).not.toContain(address);
    const salt = h.app.get(TenantDirectory).tenant(tenant.tenantId)!.emailSalt;
    const e = records[0]!.event;
    if (e.type !== 'revlint.product_event') throw new Error('unexpected type');
    expect(e.data.email).toBe(hashEmail(salt, 'jane@example.com'));
    expect(e.data.externalUserId).toBe(hashEmail(salt, 'jane@example.com'));
    expect(e.metadata.customerId).toBe(hashEmail(salt, 'jane@example.com'));
    expect(e.data.properties).toEqual({ contact: hashEmail(salt, 'ops@acme.io'), note: `ask ${hashEmail(salt, 'bob@acme.io')}`, buyer_email: hashEmail(salt, 'x') });
  });

  it("answers Fastify's own refusals in the endpoint's format: 413, 415, malformed JSON, __proto__", async () => {
    const big = await h.request('POST', PATH, JSON.stringify({ events: [event({ properties: { blob: 'x'.repeat(1024 * 1024) } })] }), auth);
    expect(big.status).toBe(413);
    expect(big.body).toEqual({ error: 'Request body is larger than 1 MiB' });
    const xml = await h.request('POST', PATH, '<events/>', { ...auth, 'content-type': 'application/xml' });
    expect(xml.status).toBe(415);
    expect(xml.body).toEqual({ error: 'Unsupported content type: send application/json' });
    const text = await h.request('POST', PATH, JSON.stringify(SEED_BODIES.endpoint), { ...auth, 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    const malformed = await h.request('POST', PATH, '{"events": [', auth);
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ error: 'Malformed JSON body' });
    const proto = await h.request('POST', PATH, '{"events": [], "__proto__": {"admin": true}}', auth);
    expect(proto.status).toBe(400);
    expect(proto.body).toMatchObject({ error: 'Malformed JSON body' });
  });

  it('counts requests, and events accepted and refused by source and reason, on /metrics', async () => {
    const metrics = (await h.request('GET', '/metrics')).text;
    expect(metrics).toMatch(/^revstream_gateway_requests_total\{source="revlint",status="202"\} \d+/m);
    expect(metrics).toMatch(/^revstream_gateway_events_accepted_total\{source="revlint"\} \d+/m);
    expect(metrics).toMatch(/^revstream_gateway_events_refused_total\{source="revlint",reason="invalid"\} \d+/m);
    expect(metrics).toMatch(/^revstream_gateway_events_refused_total\{source="revlint",reason="secret"\} \d+/m);
    expect(metrics).toMatch(/^revstream_kafka_produce_seconds_count\{outcome="acked"\} \d+/m);
  });

  it('refuses a revoked token within 5 seconds', async () => {
    const tenant = await h.repo.createTenant('revoked');
    const headers = { authorization: `Bearer ${tenant.tokens.ingest}` };
    expect((await h.request('POST', PATH, SEED_BODIES.endpoint, headers)).status).toBe(202);
    await h.repo.revokeToken(tenant.tokens.ingest);
    const status = await eventually(async () => (await h.request('POST', PATH, SEED_BODIES.endpoint, headers)).status, (s) => s === 401, 5_000, 100);
    expect(status).toBe(401);
  });

  describe('when Kafka does not answer', () => {
    const url = sideGateway(() => h, kafkaDownEnv);

    it('answers 503 with Retry-After, never a 2xx, publishes nothing, and reports not ready', async () => {
      const response = await expectRefusedWhileKafkaIsDown(h, url(), { source: 'revlint', path: PATH, body: SEED_BODIES.expansionReady, headers: auth });
      expect(response.body).toEqual({ error: 'Temporarily unable to store events; retry later' });
      expect((await send(url(), 'GET', '/health')).status).toBe(503);
    });
  });
});
