import type { DataSource } from 'typeorm';
import { PROJECTION_DATA_SOURCE } from '@revstream/projections';
import { eventually } from '@revstream/testing';
import { type GatewayHarness, startGatewayHarness } from '../testing/gateway-harness';

describe('Revnu: GET /api/v1/access?email= answered from the identity projection (real broker + Postgres)', () => {
  let h: GatewayHarness;
  let auth: Record<string, string>;

  beforeAll(async () => {
    h = await startGatewayHarness('access');
    auth = { authorization: `Bearer ${h.tenant.tokens.ingest}` };
  });
  afterAll(async () => h.close());

  const access = (email: string, headers = auth) => h.request('GET', `/api/v1/access?email=${encodeURIComponent(email)}`, undefined, headers);

  it('learns email -> Stripe customer from Revenue Linter and Valued events, and answers with the latest one', async () => {
    const revlint = {
      events: [
        { externalUserId: 'u1', stripeCustomerId: 'cus_old', email: 'buyer@example.com', type: 'LOGIN', occurredAt: '2026-05-01T10:00:00.000Z', properties: {} },
        { externalUserId: 'u1', stripeCustomerId: 'cus_new', email: 'Buyer@Example.com', type: 'LOGIN', occurredAt: '2026-05-03T10:00:00.000Z', properties: {} },
        // Late and older: it must not win.
        { externalUserId: 'u1', stripeCustomerId: 'cus_old', email: 'buyer@example.com', type: 'LOGIN', occurredAt: '2026-05-02T10:00:00.000Z', properties: {} },
      ],
    };
    expect((await h.request('POST', '/api/v1/events/product', revlint, auth)).status).toBe(202);
    const valued = { category: 'revenue', customer: { id: 'v-9', email: 'finance@acme.io', stripe_customer_id: 'cus_acme' }, subscription: { source_key: 's-9', status: 'active', currency: 'USD' } };
    expect((await h.request('POST', '/events', valued, auth)).status).toBe(202);

    const buyer = await eventually(() => access('buyer@example.com'), (r) => (r.body as { stripeCustomerId?: string }).stripeCustomerId === 'cus_new', 60_000);
    expect(buyer.status).toBe(200);
    expect(buyer.body).toEqual({ email: 'buyer@example.com', stripeCustomerId: 'cus_new' });
    const acme = await eventually(() => access('FINANCE@acme.io'), (r) => r.status === 200, 60_000);
    expect(acme.body).toEqual({ email: 'FINANCE@acme.io', stripeCustomerId: 'cus_acme' });

    // The read model, in the gateway's own schema, holds email hashes only.
    const ds = h.app.get<DataSource>(PROJECTION_DATA_SOURCE);
    const query = async () =>
      (await ds.query(`SELECT kind, alias, stripe_customer_id, last_seen_on::text AS last_seen_on FROM gateway.customer_aliases ORDER BY 1, 2, 3`)) as Array<{ kind: string; alias: string; stripe_customer_id: string; last_seen_on: string }>;
    const rows = await eventually(query, (r) => r.some((x) => x.stripe_customer_id === 'cus_old' && x.last_seen_on === '2026-05-02'));
    expect(rows.filter((r) => r.stripe_customer_id === 'cus_old').map((r) => r.last_seen_on)).toEqual(['2026-05-02', '2026-05-02']);
    expect(rows.filter((r) => r.kind === 'email')).toHaveLength(3);
    expect(rows.filter((r) => r.kind === 'external').map((r) => r.alias).sort()).toEqual(['u1', 'u1', 'v-9']);
    for (const r of rows) expect(r.alias).not.toContain('@');
  });

  it('404 for an email it has never seen, 400 without a valid email, 401 without a key; other tenants see nothing', async () => {
    const unknown = await access('nobody@example.com');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: 'No customer found for this email' });
    const missing = await h.request('GET', '/api/v1/access', undefined, auth);
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ error: 'email: must be an email address (?email=customer@example.com)' });
    expect((await access('buyer@example.com', {})).status).toBe(401);
    const other = await h.repo.createTenant('other');
    expect((await access('buyer@example.com', { authorization: `Bearer ${other.tokens.ingest}` })).status).toBe(404);
  });
});
