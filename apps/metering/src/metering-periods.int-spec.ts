import type { DataSource } from 'typeorm';
import type { Envelope } from '@revstream/events';
import { EventPublisher } from '@revstream/kafka';
import { dropDatabase, ensureDatabase, schemaChecksums } from '@revstream/persistence';
import { isolatedStack, type IsolatedStack } from '@revstream/testing';
import {
  asRecords,
  consumeToEnd,
  METERING_TABLES,
  meteringRunner,
  openMeteringSchema,
  product,
  revnuUsage,
  TENANT,
  valuedSubscription,
} from './testing/metering-fixtures';
import { EVENT_TYPES } from '@revstream/events';

/** Billing periods: re-bucketed when the subscription arrives after its usage; late events make adjustments. */
describe('metering: billing periods, late events and adjustments (real Kafka + Postgres)', () => {
  let stack: IsolatedStack;
  let publisher: EventPublisher;
  let ds: DataSource;
  const extra: Array<{ ds: DataSource; url: string }> = [];

  const consume = async (): Promise<void> => {
    expect(await consumeToEnd(stack, ds, publisher, 5)).toBe(true);
  };
  const periods = (db: DataSource, customer: string): Promise<unknown[]> =>
    db.query(
      `SELECT u.meter, to_char(u.period_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI') AS start, to_char(u.period_end AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI') AS "end",
              u.event_count::int AS events, c.value::text, c.amount::int
         FROM metering.usage u JOIN metering.charges c USING (tenant_id, customer_id, meter, period_start)
        WHERE u.tenant_id = $1 AND u.customer_id = $2 ORDER BY u.meter, u.period_start`,
      [TENANT, customer],
    );

  beforeAll(async () => {
    stack = await isolatedStack('metering_periods', { partitions: 2 });
    publisher = new EventPublisher(stack.kafka, stack.topics, { publishTimeoutMs: 10_000, maxRecordsPerRequest: 1_000, compression: 'none' });
    ds = await openMeteringSchema(stack.databaseUrl);
  });
  afterAll(async () => {
    await ds.destroy();
    for (const e of extra) {
      await e.ds.destroy();
      await dropDatabase(e.url);
    }
    await publisher.disconnect();
    await stack.cleanup();
  });

  const usage = [
    revnuUsage('cus_s', 10, 'api_calls', { occurredAt: '2026-05-03T12:00:00.000Z' }),
    revnuUsage('cus_s', 20, 'api_calls', { occurredAt: '2026-05-20T12:00:00.000Z' }),
    revnuUsage('cus_s', 30, 'api_calls', { occurredAt: '2026-06-10T12:00:00.000Z', receivedAt: '2026-06-10T12:00:00.000Z' }),
    revnuUsage('cus_s', 40, 'api_calls', { occurredAt: '2026-06-25T12:00:00.000Z', receivedAt: '2026-06-25T12:00:00.000Z' }),
  ];
  const price = product('prod_api', 'metered', 'api_calls', { unitAmount: 3 });
  const subscription = valuedSubscription('cus_s', 'sub_s', '2026-05-15T09:30:00.000Z', 'month', 1, { occurredAt: '2026-07-01T00:00:00.000Z' });

  it('buckets usage by UTC calendar month until the subscription is known, then recomputes the periods on its cycle', async () => {
    await publisher.publish([price, ...usage]);
    await consume();
    expect(await periods(ds, 'cus_s')).toEqual([
      { meter: 'api_calls', start: '2026-05-01T00:00', end: '2026-06-01T00:00', events: 2, value: '30', amount: 90 },
      { meter: 'api_calls', start: '2026-06-01T00:00', end: '2026-07-01T00:00', events: 2, value: '70', amount: 210 },
    ]);

    await publisher.publish([subscription]);
    await consume();
    // Before the subscription started: the calendar month, cut at its start. Then its cycle, anchored at its start.
    expect(await periods(ds, 'cus_s')).toEqual([
      { meter: 'api_calls', start: '2026-05-01T00:00', end: '2026-05-15T09:30', events: 1, value: '10', amount: 30 },
      { meter: 'api_calls', start: '2026-05-15T09:30', end: '2026-06-15T09:30', events: 2, value: '50', amount: 150 },
      { meter: 'api_calls', start: '2026-06-15T09:30', end: '2026-07-15T09:30', events: 1, value: '40', amount: 120 },
    ]);
  });

  it('puts a late event in the period of its event time and, when that period had closed, records an adjustment', async () => {
    await publisher.publish([
      // Received within the hour after the period ended: still on time.
      revnuUsage('cus_s', 5, 'api_calls', { occurredAt: '2026-06-15T09:00:00.000Z', receivedAt: '2026-06-15T10:00:00.000Z' }),
      // Received days after its period (May 15 – June 15) closed: late.
      revnuUsage('cus_s', 7, 'api_calls', { occurredAt: '2026-06-01T12:00:00.000Z', receivedAt: '2026-06-20T08:00:00.000Z' }),
    ]);
    await consume();
    expect(await periods(ds, 'cus_s')).toEqual([
      { meter: 'api_calls', start: '2026-05-01T00:00', end: '2026-05-15T09:30', events: 1, value: '10', amount: 30 },
      { meter: 'api_calls', start: '2026-05-15T09:30', end: '2026-06-15T09:30', events: 4, value: '62', amount: 186 },
      { meter: 'api_calls', start: '2026-06-15T09:30', end: '2026-07-15T09:30', events: 1, value: '40', amount: 120 },
    ]);
    expect(
      await ds.query(
        `SELECT meter, to_char(period_start AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS start, late_events::int, invoiced_value::text, value::text, currency,
                invoiced_amount::int, amount::int, adjustment::int
           FROM metering.adjustments WHERE tenant_id = $1 AND customer_id = 'cus_s'`,
        [TENANT],
      ),
    ).toEqual([
      { meter: 'api_calls', start: '2026-05-15', late_events: 1, invoiced_value: '55', value: '62', currency: 'USD', invoiced_amount: 165, amount: 186, adjustment: 21 },
    ]);
  });

  it('builds the same tables whatever order the topics are read in: subscription, price and usage first or last', async () => {
    const all: Envelope[] = [
      price,
      ...usage,
      subscription,
      revnuUsage('cus_s', 5, 'api_calls', { occurredAt: '2026-06-15T09:00:00.000Z', receivedAt: '2026-06-15T10:00:00.000Z', eventId: 'evt-on-time' }),
      revnuUsage('cus_s', 7, 'api_calls', { occurredAt: '2026-06-01T12:00:00.000Z', receivedAt: '2026-06-20T08:00:00.000Z', eventId: 'evt-late' }),
    ];
    const build = async (order: Envelope[], suffix: string): Promise<DataSource> => {
      const url = new URL(stack.databaseUrl);
      url.pathname = `${url.pathname}_${suffix}`;
      await ensureDatabase(url.toString());
      const db = await openMeteringSchema(url.toString());
      extra.push({ ds: db, url: url.toString() });
      const runner = meteringRunner(stack, db, publisher, 2);
      let offset = 0;
      for (const e of order) {
        // One record per transaction, each at the next offset of its own topic's partition 0.
        await runner.applyRecords(stack.topics.name(EVENT_TYPES[e.type].topic), 0, asRecords([e], offset++));
      }
      return db;
    };
    const forward = await build(all, 'forward');
    const backward = await build([...all].reverse(), 'backward');
    const tables = METERING_TABLES.filter((t) => t !== 'dead_letters');
    expect(await schemaChecksums(backward, 'metering', tables)).toEqual(await schemaChecksums(forward, 'metering', tables));
    expect(await periods(forward, 'cus_s')).toEqual(await periods(ds, 'cus_s'));
  });
});
