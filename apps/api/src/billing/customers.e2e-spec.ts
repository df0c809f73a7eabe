import type { CreatedTenant } from '@revstream/tenancy';
import { type BillingApiStack, billingApiStack, day } from './testing/billing-api.fixture';

describe('query API: MRR series, monthly breakdown, customers and timelines (Kafka → billing projection → Postgres → HTTP)', () => {
  let fixture: BillingApiStack;
  let other: CreatedTenant;
  const get = (path: string, token?: string | null) => fixture.get(path, token);

  beforeAll(async () => {
    fixture = await billingApiStack('customers_api');
    ({ other } = fixture);
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('GET /v1/mrr/currencies: every currency the tenant has MRR in, never summed together', async () => {
    expect(await get('/v1/mrr/currencies')).toEqual({ status: 200, body: { currencies: ['EUR', 'USD'] } });
    expect((await get('/v1/mrr/currencies', other.tokens.read)).body).toEqual({ currencies: ['USD'] });
  });

  it('GET /v1/mrr/series: MRR at the end of every day, gaps filled, and per month', async () => {
    const daily = await get('/v1/mrr/series?currency=USD&interval=day');
    expect(daily.status).toBe(200);
    expect(daily.body).toEqual({
      currency: 'USD',
      interval: 'day',
      points: [
        { date: '2026-03-01', amount: 16_667 },
        { date: '2026-03-02', amount: 26_667 },
        { date: '2026-03-03', amount: 31_666 },
        { date: '2026-03-04', amount: 31_666 },
        { date: '2026-03-05', amount: 46_666 },
        { date: '2026-03-06', amount: 46_666 },
        { date: '2026-03-07', amount: 46_666 },
        { date: '2026-03-08', amount: 51_666 },
        { date: '2026-03-09', amount: 46_666 },
      ],
    });
    const window = await get('/v1/mrr/series?currency=USD&from=2026-03-04&to=2026-03-05');
    expect(window.body.points).toEqual([{ date: '2026-03-04', amount: 31_666 }, { date: '2026-03-05', amount: 46_666 }]);
    expect((await get('/v1/mrr/series?currency=USD&interval=month')).body.points).toEqual([{ date: '2026-03', amount: 46_666 }]);
    // The series ends where MRR now is.
    expect((await get('/v1/mrr?currency=USD')).body).toEqual({ currency: 'USD', amount: 46_666 });
    expect((await get('/v1/mrr/series?currency=USD&interval=week')).status).toBe(400);
  });

  it('GET /v1/mrr/breakdown: movements per month by type, as counts and amounts', async () => {
    const breakdown = await get('/v1/mrr/breakdown?currency=USD');
    expect(breakdown).toEqual({
      status: 200,
      body: {
        currency: 'USD',
        months: [
          {
            month: '2026-03',
            new: { count: 4, amount: 36_666 },
            expansion: { count: 1, amount: 15_000 },
            contraction: { count: 0, amount: 0 },
            churn: { count: 1, amount: 5_000 },
            reactivation: { count: 0, amount: 0 },
            net: 46_666,
          },
        ],
      },
    });
    expect((await get('/v1/mrr/breakdown?currency=USD&from=2026-04')).body).toEqual({ currency: 'USD', months: [] });
    expect((await get('/v1/mrr/breakdown?currency=USD&from=March')).status).toBe(400);
  });

  it('GET /v1/mrr/movements pages with a cursor, and the pages add up to the whole list', async () => {
    const whole = (await get('/v1/mrr/movements?currency=USD')).body as { movements: Array<{ eventId: string }>; nextCursor: string | null };
    expect(whole.nextCursor).toBeNull();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = (await get(`/v1/mrr/movements?currency=USD&limit=2${cursor ? `&cursor=${cursor}` : ''}`)).body as typeof whole;
      expect(page.movements.length).toBeLessThanOrEqual(2);
      seen.push(...page.movements.map((m) => m.eventId));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual(whole.movements.map((m) => m.eventId));
  });

  it('GET /v1/customers lists the tenant\'s customers with their MRR, page by page', async () => {
    const first = await get('/v1/customers?limit=2');
    expect(first.status).toBe(200);
    const items = first.body.items as Array<{ customerId: string }>;
    expect(items.map((c) => c.customerId)).toEqual(['cus_42', 'cus_bronze']);
    const rest = await get(`/v1/customers?limit=10&cursor=${first.body.nextCursor as string}`);
    expect((rest.body.items as Array<{ customerId: string }>).map((c) => c.customerId)).toEqual(['cus_eu', 'cus_gone', 'cus_seats']);
    expect(rest.body.nextCursor).toBeNull();
    expect((rest.body.items as Array<{ customerId: string; mrr: unknown }>).find((c) => c.customerId === 'cus_eu')!.mrr).toEqual([{ currency: 'EUR', amount: 9_000 }]);
    expect(((await get('/v1/customers', other.tokens.read)).body.items as Array<{ customerId: string }>).map((c) => c.customerId)).toEqual(['cus_other']);
  });

  it("GET /v1/customers/:id: one customer's state, its subscriptions and items; another tenant's is 404", async () => {
    const bronze = await get('/v1/customers/cus_bronze');
    expect(bronze.status).toBe(200);
    expect(bronze.body).toMatchObject({
      customerId: 'cus_bronze',
      mrr: [{ currency: 'USD', amount: 25_000 }],
      subscriptions: [{ subscriptionKey: 'sub_2', status: 'active', currency: 'USD', mrr: 25_000 }],
    });
    const subscriptions = bronze.body.subscriptions as Array<{ items: Array<{ quantity: number; mrr: number; planName: string }> }>;
    expect(subscriptions[0]!.items).toHaveLength(1);
    expect(subscriptions[0]!.items[0]).toMatchObject({ quantity: 1, mrr: 25_000, planName: 'Gold' });
    const foreign = await get('/v1/customers/cus_bronze', other.tokens.read);
    expect(foreign.status).toBe(404);
    expect(foreign.body).toMatchObject({ status: 404, detail: 'no customer "cus_bronze" in this tenant' });
  });

  it("GET /v1/customers/:id/timeline: the customer's movements, newest first", async () => {
    const timeline = await get('/v1/customers/cus_gone/timeline');
    expect(timeline.status).toBe(200);
    expect(timeline.body.items).toEqual([
      { at: day(9), kind: 'movement', type: 'churn', currency: 'USD', before: 5_000, after: 0, delta: -5_000, eventId: 'e6' },
      { at: day(8), kind: 'movement', type: 'new', currency: 'USD', before: 0, after: 5_000, delta: 5_000, eventId: 'e5' },
    ]);
    expect((await get('/v1/customers/cus_gone/timeline', other.tokens.read)).status).toBe(404);
    expect((await get('/v1/customers/cus_gone/timeline?limit=0')).status).toBe(400);
  });
});
