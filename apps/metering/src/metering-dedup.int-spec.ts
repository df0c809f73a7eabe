import type { DataSource } from 'typeorm';
import { EventPublisher } from '@revstream/kafka';
import { dropDatabase, ensureDatabase, schemaChecksums } from '@revstream/persistence';
import { isolatedStack, type IsolatedStack } from '@revstream/testing';
import {
  asRecords,
  consumeToEnd,
  METERING_TABLES,
  meteringRunner,
  openMeteringSchema,
  reveniumMeter,
  revnuUsage,
  TENANT,
} from './testing/metering-fixtures';

/**
 * A repeated source idempotency key (Revenium's transactionId) never counts twice: not within a
 * batch, not across batches, not after a restart, and a replay into a new database builds the same
 * tables byte for byte.
 */
describe('metering: deduplication by the source idempotency key (real Kafka + Postgres)', () => {
  let stack: IsolatedStack;
  let publisher: EventPublisher;
  const open: DataSource[] = [];
  const databases: string[] = [];

  const database = async (suffix: string): Promise<DataSource> => {
    const url = new URL(stack.databaseUrl);
    url.pathname = `${url.pathname}_${suffix}`;
    await ensureDatabase(url.toString());
    databases.push(url.toString());
    const ds = await openMeteringSchema(url.toString());
    open.push(ds);
    return ds;
  };
  const totals = async (ds: DataSource): Promise<unknown[]> =>
    ds.query(`SELECT customer_id, meter, sum::text, event_count::int FROM metering.usage WHERE tenant_id = $1 ORDER BY customer_id, meter`, [TENANT]);
  const consume = async (ds: DataSource, maxRecords: number): Promise<void> => {
    expect(await consumeToEnd(stack, ds, publisher, maxRecords)).toBe(true);
  };

  beforeAll(async () => {
    stack = await isolatedStack('metering_dedup', { partitions: 3 });
    publisher = new EventPublisher(stack.kafka, stack.topics, { publishTimeoutMs: 10_000, maxRecordsPerRequest: 1_000, compression: 'none' });
  });
  afterAll(async () => {
    await Promise.all(open.map((d) => d.destroy()));
    await publisher.disconnect();
    for (const url of databases) await dropDatabase(url);
    await stack.cleanup();
  });

  it('counts a transactionId once within one batch and across batches, even when the repeat carries other keys', async () => {
    const ds = await database('batches');
    const runner = meteringRunner(stack, ds, publisher);
    const topic = stack.topics.raw('revenium');
    const first = reveniumMeter('cus_1', 'txn-a', { apiCalls: 10 }, { occurredAt: '2026-05-02T00:00:00.000Z' });
    const batch = asRecords([
      first,
      { ...first, eventId: 'evt-retry-1' }, // a client retry, same batch
      reveniumMeter('cus_1', 'txn-a', { apiCalls: 99, storageGB: 5 }, { occurredAt: '2026-05-03T00:00:00.000Z' }), // same key, other content
      reveniumMeter('cus_1', 'txn-b', { apiCalls: 1 }, { occurredAt: '2026-05-04T00:00:00.000Z' }),
    ]);
    expect(await runner.applyRecords(topic, 0, batch)).toBe(4);
    expect(await totals(ds)).toEqual([{ customer_id: 'cus_1', meter: 'apiCalls', sum: '11', event_count: 2 }]);

    // A later batch repeats both keys: nothing changes.
    const later = asRecords(
      [reveniumMeter('cus_1', 'txn-a', { apiCalls: 10 }, { occurredAt: '2026-05-02T00:00:00.000Z' }), reveniumMeter('cus_1', 'txn-b', { storageGB: 3 })],
      4,
    );
    const before = await schemaChecksums(ds, 'metering', METERING_TABLES.filter((t) => t !== 'dead_letters'));
    expect(await runner.applyRecords(topic, 0, later)).toBe(2);
    expect(await schemaChecksums(ds, 'metering', METERING_TABLES.filter((t) => t !== 'dead_letters'))).toEqual(before);
    expect(await ds.query(`SELECT count(*)::int AS n FROM metering.usage_ledger`)).toEqual([{ n: 2 }]);
  });

  it('never counts a repeat twice across a restart (new runner, same database) or a replay (new database, same topics)', async () => {
    const customers = ['cus_r1', 'cus_r2', 'cus_r3', 'cus_r4', 'cus_r5'];
    const stream = customers.flatMap((c, ci) =>
      Array.from({ length: 30 }, (_, i) =>
        i % 3 === 0
          ? revnuUsage(c, 1 + (i % 4), 'api_calls', { occurredAt: `2026-05-${String(1 + i).padStart(2, '0')}T08:00:00.000Z` })
          : reveniumMeter(c, `txn-${ci}-${i % 10}`, { tokens: 100 + i, ...(i % 5 === 0 ? { images: 2 } : {}) }, { occurredAt: `2026-05-${String(1 + i).padStart(2, '0')}T09:00:00.000Z` }),
      ),
    );
    // Only the first event of each transactionId counts (per customer, in log order).
    const expected = new Map<string, { sum: number; count: number }>();
    const seen = new Set<string>();
    for (const e of stream) {
      if (e.type === 'revenium.meter') {
        const key = `${e.customerId}|${e.idempotencyKey}`;
        if (seen.has(key)) continue;
        seen.add(key);
      }
      const payload: Record<string, number> = e.type === 'revnu.usage' ? { [(e.body as { eventName: string }).eventName]: (e.body as { value: number }).value } : (e.body as { payload: Record<string, number> }).payload;
      for (const [meter, value] of Object.entries(payload)) {
        const k = `${e.customerId}|${meter}`;
        const t = expected.get(k) ?? { sum: 0, count: 0 };
        expected.set(k, { sum: t.sum + value, count: t.count + 1 });
      }
    }
    const want = [...expected.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, t]) => ({ customer_id: k.split('|')[0], meter: k.split('|')[1], sum: String(t.sum), event_count: t.count }));

    await publisher.publish(stream.slice(0, 90));
    const ds = await database('restart');
    await consume(ds, 7);
    // After the restart, the rest arrives, with every event of the first part published again (at new offsets).
    await publisher.publish([...stream.slice(90), ...stream.slice(0, 90)]);
    await consume(ds, 11);
    expect(await totals(ds)).toEqual(want);

    const replay = await database('replay');
    await consume(replay, 500);
    expect(await totals(replay)).toEqual(want);
    const tables = METERING_TABLES.filter((t) => t !== 'dead_letters');
    expect(await schemaChecksums(replay, 'metering', tables)).toEqual(await schemaChecksums(ds, 'metering', tables));
  });
});
