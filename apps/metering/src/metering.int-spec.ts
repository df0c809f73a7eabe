import type { DataSource } from 'typeorm';
import { EventPublisher } from '@revstream/kafka';
import { isolatedStack, type IsolatedStack, readTopic } from '@revstream/testing';
import {
  consumeToEnd,
  envelope,
  openMeteringSchema,
  product,
  reveniumMeter,
  revlintEvent,
  revnuUsage,
  TENANT,
} from './testing/metering-fixtures';

/**
 * The metering app end to end over the real broker and database: envelopes published to the topics,
 * consumed by the ProjectionRunner with the metering handler, read models asserted.
 */
describe('metering: usage rated per billing period (real Kafka + Postgres)', () => {
  let stack: IsolatedStack;
  let publisher: EventPublisher;
  let ds: DataSource;

  beforeAll(async () => {
    stack = await isolatedStack('metering', { partitions: 3 });
    publisher = new EventPublisher(stack.kafka, stack.topics, { publishTimeoutMs: 10_000, maxRecordsPerRequest: 1_000, compression: 'none' });
    ds = await openMeteringSchema(stack.databaseUrl);

    await publisher.publish([
      // Revnu products: one of each model (prices in cents).
      product('prod_seats', 'flat', 'seats_flat', { flatAmount: 4900 }),
      product('prod_api', 'metered', 'api_calls', { unitAmount: 2 }),
      product('prod_storage', 'hybrid', 'storage_gb', { flatAmount: 1000, unitAmount: 25 }),
      // A Valued price with the seed's tiers (not in ascending order) prices the Revenium element computeMinutes.
      envelope('valued.revenue', {
        category: 'revenue',
        price: {
          id: 'computeMinutes',
          interval: 'month',
          interval_count: 1,
          type: 'recurring',
          billing_scheme: 'per_unit',
          currency: 'USD',
          active: true,
          tiers: [
            { unit_amount: 399, flat_amount: 100, up_to: 500 },
            { unit_amount: 199, flat_amount: 299, up_to: 399 },
          ],
        },
      }),
      revnuUsage('cus_a', 100, 'api_calls', { occurredAt: '2026-05-03T10:00:00.000Z' }),
      revnuUsage('cus_a', 50, 'api_calls', { occurredAt: '2026-05-20T10:00:00.000Z' }),
      revnuUsage('cus_a', 7, 'api_calls', { occurredAt: '2026-06-02T10:00:00.000Z', receivedAt: '2026-06-02T10:00:01.000Z' }),
      revnuUsage('cus_a', 10, 'storage_gb', { occurredAt: '2026-05-05T10:00:00.000Z' }),
      revnuUsage('cus_a', 1, 'seats_flat', { occurredAt: '2026-05-06T10:00:00.000Z' }),
      // Revenium: elements are created the first time they are seen; the second event was received earlier.
      reveniumMeter('cus_b', 'txn-1', { storageGB: 15.5, apiCalls: 1250 }, { receivedAt: '2026-05-10T12:00:00.000Z' }),
      reveniumMeter('cus_b', 'txn-2', { apiCalls: 10, computeMinutes: 480 }, { receivedAt: '2026-05-09T12:00:00.000Z' }),
      reveniumMeter('cus_b', 'txn-3', { storageGB: 0.25 }, { receivedAt: '2026-05-11T12:00:00.000Z', sourceId: 'src_batch' }),
      // Revenue Linter usage/limit pairs are gauges.
      revlintEvent('cus_c', 'API_LIMIT_USED', { usage: 91000, limit: 100000, metric: 'api_requests', window: 'monthly' }, { occurredAt: '2026-05-29T15:05:00.000Z' }),
      revlintEvent('cus_c', 'API_LIMIT_USED', { usage: 95000, limit: 100000, metric: 'api_requests' }, { occurredAt: '2026-05-30T15:05:00.000Z' }),
      revlintEvent('cus_c', 'SEAT_LIMIT_USED', { seatsUsed: 9, seatLimit: 10 }, { occurredAt: '2026-05-29T15:06:00.000Z' }),
      revlintEvent('cus_c', 'EXPORT_CREATED', { exportType: 'audit_report' }, { occurredAt: '2026-05-29T15:10:00.000Z' }),
      // Poison: a Revnu value that is not a positive whole number.
      revnuUsage('cus_a', -5, 'api_calls', { eventId: 'evt-poison', occurredAt: '2026-05-21T10:00:00.000Z' }),
    ]);
    await publisher.publishRecords([{ topic: stack.topics.raw('revnu'), message: { key: `${TENANT}:cus_a`, value: 'this is not json' } }]);
    await publisher.publish([revnuUsage('cus_a', 3, 'api_calls', { occurredAt: '2026-05-22T10:00:00.000Z' })]);

    expect(await consumeToEnd(stack, ds, publisher)).toBe(true);
  });

  afterAll(async () => {
    await ds.destroy();
    await publisher.disconnect();
    await stack.cleanup();
  });

  const charges = (customer: string): Promise<unknown[]> =>
    ds.query(
      `SELECT meter, to_char(period_start AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS start, to_char(period_end AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS "end",
              aggregation, value::text, currency, amount::int
         FROM metering.charges WHERE tenant_id = $1 AND customer_id = $2 ORDER BY meter, period_start`,
      [TENANT, customer],
    );

  it('rates Revnu usage with its product: flat, metered and hybrid, per UTC calendar month without a subscription', async () => {
    expect(await charges('cus_a')).toEqual([
      { meter: 'api_calls', start: '2026-05-01', end: '2026-06-01', aggregation: 'sum', value: '153', currency: 'USD', amount: 306 },
      { meter: 'api_calls', start: '2026-06-01', end: '2026-07-01', aggregation: 'sum', value: '7', currency: 'USD', amount: 14 },
      { meter: 'seats_flat', start: '2026-05-01', end: '2026-06-01', aggregation: 'sum', value: '1', currency: 'USD', amount: 4900 },
      { meter: 'storage_gb', start: '2026-05-01', end: '2026-06-01', aggregation: 'sum', value: '10', currency: 'USD', amount: 1000 + 10 * 25 },
    ]);
    expect(
      await ds.query(
        `SELECT event_count::int, sum::text, max::text, latest::text, first_event_at, last_event_at FROM metering.usage
          WHERE tenant_id = $1 AND customer_id = 'cus_a' AND meter = 'api_calls' AND period_start = '2026-05-01T00:00:00Z'`,
        [TENANT],
      ),
    ).toEqual([
      {
        event_count: 3,
        sum: '153',
        max: '100',
        latest: '3',
        first_event_at: new Date('2026-05-03T10:00:00.000Z'),
        last_event_at: new Date('2026-05-22T10:00:00.000Z'),
      },
    ]);
  });

  it('creates each Revenium payload key as a metering element the first time it is seen, per source, with the time from the event', async () => {
    expect(
      await ds.query(`SELECT source_id, element, first_seen_at FROM metering.metering_elements WHERE tenant_id = $1 ORDER BY source_id, element`, [TENANT]),
    ).toEqual([
      { source_id: 'src_api', element: 'apiCalls', first_seen_at: new Date('2026-05-09T12:00:00.000Z') },
      { source_id: 'src_api', element: 'computeMinutes', first_seen_at: new Date('2026-05-09T12:00:00.000Z') },
      { source_id: 'src_api', element: 'storageGB', first_seen_at: new Date('2026-05-10T12:00:00.000Z') },
      { source_id: 'src_batch', element: 'storageGB', first_seen_at: new Date('2026-05-11T12:00:00.000Z') },
    ]);
    // subscriberCredential is the customer; values are exact decimals; the tiered Valued price (sorted by up_to) rates computeMinutes.
    expect(await charges('cus_b')).toEqual([
      { meter: 'apiCalls', start: '2026-05-01', end: '2026-06-01', aggregation: 'sum', value: '1260', currency: null, amount: null },
      // graduated: 399 × 199 + 299 (first tier) + 81 × 399 + 100 (the highest tier, extended)
      { meter: 'computeMinutes', start: '2026-05-01', end: '2026-06-01', aggregation: 'sum', value: '480', currency: 'USD', amount: 399 * 199 + 299 + 81 * 399 + 100 },
      { meter: 'storageGB', start: '2026-05-01', end: '2026-06-01', aggregation: 'sum', value: '15.75', currency: null, amount: null },
    ]);
  });

  it('reads Revenue Linter usage/limit pairs as gauges: latest reading by event time, with max and count beside it', async () => {
    expect(await charges('cus_c')).toEqual([
      { meter: 'revlint:api_requests', start: '2026-05-01', end: '2026-06-01', aggregation: 'latest', value: '95000', currency: null, amount: null },
      { meter: 'revlint:api_requests:limit', start: '2026-05-01', end: '2026-06-01', aggregation: 'latest', value: '100000', currency: null, amount: null },
      { meter: 'revlint:seats', start: '2026-05-01', end: '2026-06-01', aggregation: 'latest', value: '9', currency: null, amount: null },
      { meter: 'revlint:seats:limit', start: '2026-05-01', end: '2026-06-01', aggregation: 'latest', value: '10', currency: null, amount: null },
    ]);
    expect(
      await ds.query(`SELECT meter, kind, event_count::int, max::text FROM metering.usage WHERE customer_id = 'cus_c' AND meter = 'revlint:api_requests'`),
    ).toEqual([{ meter: 'revlint:api_requests', kind: 'gauge', event_count: 2, max: '95000' }]);
    expect(await ds.query(`SELECT meter, source, kind FROM metering.meters WHERE tenant_id = $1 AND source = 'revlint' ORDER BY meter`, [TENANT])).toEqual([
      { meter: 'revlint:api_requests', source: 'revlint', kind: 'gauge' },
      { meter: 'revlint:api_requests:limit', source: 'revlint', kind: 'gauge' },
      { meter: 'revlint:seats', source: 'revlint', kind: 'gauge' },
      { meter: 'revlint:seats:limit', source: 'revlint', kind: 'gauge' },
    ]);
  });

  it('dead-letters poison events with their reason, on the topic and in the table, and the partition keeps moving', async () => {
    expect(await ds.query(`SELECT reason, event_id, detail FROM metering.dead_letters ORDER BY reason`)).toEqual([
      { reason: 'invalid_body', event_id: 'evt-poison', detail: 'value: must be a positive whole number, got -5' },
      { reason: 'invalid_json', event_id: null, detail: expect.any(String) },
    ]);
    const letters = await readTopic(stack.kafka, stack.topics.name('dead-letter'), 2);
    expect(letters.map((l) => JSON.parse(l.value!).reason).sort()).toEqual(['invalid_body', 'invalid_json']);
    // The usage published after the poison records, on the same partition, was applied (153 includes its 3).
    const [row] = await ds.query(`SELECT sum::text FROM metering.usage WHERE customer_id = 'cus_a' AND meter = 'api_calls' AND period_start = '2026-05-01T00:00:00Z'`);
    expect(row.sum).toBe('153');
  });

  it('keeps every price definition visible, with the tiers in the order they were rated', async () => {
    expect(await ds.query(`SELECT meter, source, ref, currency, terms, problem FROM metering.meter_prices WHERE meter = 'computeMinutes'`)).toEqual([
      {
        meter: 'computeMinutes',
        source: 'valued',
        ref: 'computeMinutes',
        currency: 'USD',
        terms: {
          scheme: 'graduated',
          tiers: [
            { upTo: 399, unitAmount: 199, flatAmount: 299 },
            { upTo: null, unitAmount: 399, flatAmount: 100 },
          ],
        },
        problem: null,
      },
    ]);
  });
});
