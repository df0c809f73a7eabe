import { REVENIUM_SOURCE_TYPES } from '@revstream/events';
import { expectRefusedWhileKafkaIsDown, type GatewayHarness, kafkaDownEnv, sideGateway, startGatewayHarness } from '../../testing/gateway-harness';

const PATH = '/meter/v2/events';

describe('Revenium: POST /meter/v2/events (real broker)', () => {
  let h: GatewayHarness;
  let auth: Record<string, string>;

  beforeAll(async () => {
    h = await startGatewayHarness('revenium');
    auth = { 'x-api-key': h.tenant.tokens.ingest };
  });
  afterAll(async () => h.close());

  const mine = async (tenantId: string) => (await h.readAll('revenium')).filter((r) => r.event.metadata.tenantId === tenantId).map((r) => r.event);

  it("accepts the seed's payload example with and without the optional fields; 201 with the stored event's id", async () => {
    // The seed's example payload: { "storageGB": 15.5, "apiCalls": 1250, "computeMinutes": 480 }.
    const full = { transactionId: 'txn-0001', payload: { storageGB: 15.5, apiCalls: 1250, computeMinutes: 480 }, sourceId: 'storageCharges', subscriberCredential: 'acct-42', sourceType: 'SDK_JS' };
    const minimal = { transactionId: 'txn-0002', payload: { storageGB: 15.5, apiCalls: 1250, computeMinutes: 480 } };
    const a = await h.request('POST', PATH, full, auth);
    const b = await h.request('POST', PATH, minimal, auth);
    for (const r of [a, b]) {
      expect(r.status).toBe(201);
      expect(r.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), transactionId: expect.stringMatching(/^txn-000[12]$/), receivedAt: expect.any(String) });
    }
    const events = await mine(h.tenant.tenantId);
    expect(events).toHaveLength(2);
    const first = events.find((e) => e.metadata.idempotencyKey === 'txn-0001')!;
    expect(first.type).toBe('revenium.meter');
    expect(first.metadata).toMatchObject({ eventId: (a.body as { id: string }).id, customerId: 'acct-42', source: 'revenium' });
    expect(first.data).toEqual(full);
    const second = events.find((e) => e.metadata.idempotencyKey === 'txn-0002')!;
    expect(second.data).toEqual({ ...minimal, sourceId: null, subscriberCredential: null, sourceType: 'UNKNOWN' });
    expect(second.metadata.customerId).toBeNull();
  });

  it('accepts every listed sourceType and refuses others', async () => {
    for (const sourceType of REVENIUM_SOURCE_TYPES) {
      expect((await h.request('POST', PATH, { transactionId: `t-${sourceType}`, payload: { calls: 1 }, sourceType }, auth)).status).toBe(201);
    }
    const response = await h.request('POST', PATH, { transactionId: 't-x', payload: { calls: 1 }, sourceType: 'PERL' }, auth);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'Invalid request', details: [`sourceType: must be one of ${REVENIUM_SOURCE_TYPES.join(', ')}`] });
  });

  it('400 listing every problem: transactionId and payload are required, payload values are numbers; nothing published', async () => {
    const before = await h.topicSize('revenium');
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [{}, ['transactionId: must be a non-empty string', 'payload: must be an object of at least one metric name mapped to a finite number']],
      [{ transactionId: 't', payload: { apiCalls: '1250' } }, ['payload: must be an object of at least one metric name mapped to a finite number']],
      [{ transactionId: 't', payload: {} }, ['payload: must be an object of at least one metric name mapped to a finite number']],
      [{ transactionId: 't', payload: { calls: 1 }, subscriberCredential: 'sk_live_4eC39HqLyjWDarjtT1zdp7dc' }, ['subscriberCredential: looks like a Stripe secret key; do not send credentials']],
    ];
    for (const [body, details] of cases) {
      const response = await h.request('POST', PATH, body, auth);
      expect(response.status).toBe(400);
      expect((response.body as { details: string[] }).details).toEqual(details);
    }
    expect(await h.topicSize('revenium')).toBe(before);
  });

  it('401 without a valid x-api-key (a Bearer header is not how Revenium authenticates)', async () => {
    for (const headers of [{}, { 'x-api-key': 'nope' }, { authorization: `Bearer ${h.tenant.tokens.ingest}` }] as Array<Record<string, string>>) {
      const response = await h.request('POST', PATH, { transactionId: 't', payload: { calls: 1 } }, headers);
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ error: 'Invalid API key' });
    }
    const malformed = await h.request('POST', PATH, '{', auth);
    expect(malformed.status).toBe(400);
  });

  describe('when Kafka does not answer', () => {
    const url = sideGateway(() => h, kafkaDownEnv);

    it('answers 503 with Retry-After, never 201, and publishes nothing', async () => {
      const body = { transactionId: 'txn-down', payload: { apiCalls: 1 } };
      const response = await expectRefusedWhileKafkaIsDown(h, url(), { source: 'revenium', path: PATH, body, headers: auth });
      expect(response.body).toEqual({ error: 'Temporarily unable to store events; retry later' });
    });
  });
});
