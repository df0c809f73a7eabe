import type { CreatedTenant } from '@revstream/tenancy';
import { type BillingApiStack, billingApiStack, day } from './testing/billing-api.fixture';

describe('query API: MRR endpoints over the billing read models (Kafka → billing projection → Postgres → HTTP)', () => {
  let fixture: BillingApiStack;
  let acme: CreatedTenant;
  let other: CreatedTenant;
  const get = (path: string, token?: string | null) => fixture.get(path, token);

  beforeAll(async () => {
    fixture = await billingApiStack('billing_api');
    ({ acme, other } = fixture);
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it("GET /v1/customers/:customerId/mrr: the customer's MRR per currency", async () => {
    expect(await get('/v1/customers/cus_seats/mrr')).toEqual({ status: 200, body: { customerId: 'cus_seats', mrr: [{ currency: 'USD', amount: 16_667 }] } });
    expect(await get('/v1/customers/cus_gone/mrr')).toEqual({ status: 200, body: { customerId: 'cus_gone', mrr: [{ currency: 'USD', amount: 0 }] } });
    expect((await get('/v1/customers/cus_eu/mrr')).body).toEqual({ customerId: 'cus_eu', mrr: [{ currency: 'EUR', amount: 9_000 }] });
  });

  it("404 for a customer the tenant does not have, including another tenant's customer; 401 without a read token", async () => {
    expect(await get('/v1/customers/cus_nobody/mrr')).toMatchObject({ status: 404, body: { status: 404, detail: 'no customer "cus_nobody" in this tenant' } });
    expect((await get('/v1/customers/cus_other/mrr')).status).toBe(404);
    expect((await get('/v1/customers/cus_seats/mrr', other.tokens.read)).status).toBe(404);
    expect((await get('/v1/customers/cus_seats/mrr', null)).status).toBe(401);
    expect((await get('/v1/customers/cus_seats/mrr', acme.tokens.ingest)).status).toBe(401);
  });

  it('GET /v1/mrr?currency=USD: the tenant MRR in one currency, never summed across currencies', async () => {
    expect(await get('/v1/mrr?currency=USD')).toEqual({ status: 200, body: { currency: 'USD', amount: 16_667 + 25_000 + 4_999 } });
    expect((await get('/v1/mrr?currency=eur')).body).toEqual({ currency: 'EUR', amount: 9_000 });
    expect((await get('/v1/mrr?currency=JPY')).body).toEqual({ currency: 'JPY', amount: 0 });
    expect((await get('/v1/mrr?currency=USD', other.tokens.read)).body).toEqual({ currency: 'USD', amount: 77_700 });
  });

  it('GET /v1/mrr/movements: movements with before, after, delta and event time, filtered by currency and time', async () => {
    const all = await get('/v1/mrr/movements?currency=USD');
    expect(all.status).toBe(200);
    expect(all.body.movements).toEqual([
      { type: 'new', customerId: 'cus_seats', currency: 'USD', before: 0, after: 16_667, delta: 16_667, occurredAt: day(1), eventId: 'e1' },
      { type: 'new', customerId: 'cus_bronze', currency: 'USD', before: 0, after: 10_000, delta: 10_000, occurredAt: day(2), eventId: 'e2' },
      { type: 'new', customerId: 'cus_42', currency: 'USD', before: 0, after: 4_999, delta: 4_999, occurredAt: day(3), eventId: 'p1' },
      { type: 'expansion', customerId: 'cus_bronze', currency: 'USD', before: 10_000, after: 25_000, delta: 15_000, occurredAt: day(5), eventId: 'e3' },
      { type: 'new', customerId: 'cus_gone', currency: 'USD', before: 0, after: 5_000, delta: 5_000, occurredAt: day(8), eventId: 'e5' },
      { type: 'churn', customerId: 'cus_gone', currency: 'USD', before: 5_000, after: 0, delta: -5_000, occurredAt: day(9), eventId: 'e6' },
    ]);
    const window = await get('/v1/mrr/movements?currency=USD&from=2026-03-03&to=2026-03-08');
    expect((window.body.movements as Array<{ eventId: string }>).map((m) => m.eventId)).toEqual(['p1', 'e3', 'e5']);
    const instants = await get(`/v1/mrr/movements?currency=USD&from=${day(3)}&to=${day(8)}`);
    expect((instants.body.movements as Array<{ eventId: string }>).map((m) => m.eventId)).toEqual(['p1', 'e3']);
    expect((await get('/v1/mrr/movements?currency=EUR')).body.movements).toEqual([
      { type: 'new', customerId: 'cus_eu', currency: 'EUR', before: 0, after: 9_000, delta: 9_000, occurredAt: day(6), eventId: 'e4' },
    ]);
    expect((await get('/v1/mrr/movements?currency=USD', other.tokens.read)).body.movements).toHaveLength(1);
  });

  it('400 with a clear message on bad query parameters', async () => {
    const missing = await get('/v1/mrr');
    expect(missing.status).toBe(400);
    expect(JSON.stringify(missing.body)).toContain('currency must be a 3-letter ISO 4217 code');
    expect((await get('/v1/mrr?currency=dollars')).status).toBe(400);
    const badFrom = await get('/v1/mrr/movements?currency=USD&from=yesterday');
    expect(badFrom.status).toBe(400);
    expect(JSON.stringify(badFrom.body)).toContain('from must be an ISO-8601 date or instant');
    const reversed = await get('/v1/mrr/movements?currency=USD&from=2026-03-09&to=2026-03-01');
    expect(reversed).toMatchObject({ status: 400, body: { status: 400, detail: 'from (2026-03-09) must be before to (2026-03-01)' } });
    const unknown = await get('/v1/mrr/movements?currency=USD&since=2026-01-01');
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body)).toContain('property since should not exist');
    expect((await get('/v1/mrr/movements')).status).toBe(400);
  });
});
