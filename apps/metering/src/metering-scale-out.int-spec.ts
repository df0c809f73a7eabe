import type { DataSource } from 'typeorm';
import type { Envelope } from '@revstream/events';
import { EventPublisher } from '@revstream/kafka';
import { dropDatabase, ensureDatabase, schemaChecksums } from '@revstream/persistence';
import { eventually, isolatedStack, type IsolatedStack } from '@revstream/testing';
import {
  caughtUp,
  endOffsets,
  envelope,
  METERING_TABLES,
  meteringRunner,
  openMeteringSchema,
  product,
  reveniumMeter,
  revlintEvent,
  revnuUsage,
  valuedSubscription,
} from './testing/metering-fixtures';

/** Scale-out: two instances in one consumer group build exactly the tables one instance builds. */
describe('metering: two instances build what one builds (real Kafka + Postgres)', () => {
  let stack: IsolatedStack;
  let publisher: EventPublisher;
  const dbs: Array<{ url: string; sources: DataSource[] }> = [];

  const database = async (suffix: string, instances: number): Promise<DataSource[]> => {
    const url = new URL(stack.databaseUrl);
    url.pathname = `${url.pathname}_${suffix}`;
    await ensureDatabase(url.toString());
    const sources: DataSource[] = [];
    for (let i = 0; i < instances; i++) sources.push(await openMeteringSchema(url.toString()));
    dbs.push({ url: url.toString(), sources });
    return sources;
  };

  beforeAll(async () => {
    stack = await isolatedStack('metering_scale', { partitions: 4 });
    publisher = new EventPublisher(stack.kafka, stack.topics, { publishTimeoutMs: 10_000, maxRecordsPerRequest: 1_000, compression: 'none' });
  });
  afterAll(async () => {
    for (const db of dbs) {
      await Promise.all(db.sources.map((s) => s.destroy()));
      await dropDatabase(db.url);
    }
    await publisher.disconnect();
    await stack.cleanup();
  });

  it('splits the partitions between two instances and ends with identical table checksums', async () => {
    const [single] = await database('single', 1);
    const [pairA, pairB] = await database('pair', 2);
    const one = meteringRunner(stack, single!, publisher, 50);
    const a = meteringRunner(stack, pairA!, publisher, 50);
    const b = meteringRunner(stack, pairB!, publisher, 50);
    await Promise.all([one.start(), a.start(), b.start()]);
    try {
      const revnu = stack.topics.raw('revnu');
      const held = await eventually(
        async () => [a.assignment[revnu]?.length ?? 0, b.assignment[revnu]?.length ?? 0],
        ([x, y]) => x! > 0 && y! > 0 && x! + y! === 4,
      );
      expect(held[0]! + held[1]!).toBe(4);

      const customers = Array.from({ length: 24 }, (_, i) => `cus_${i}`);
      const events: Envelope[] = [
        product('prod_api', 'metered', 'api_calls', { unitAmount: 2 }),
        product('prod_store', 'hybrid', 'storage', { unitAmount: 5, flatAmount: 700 }),
        envelope('valued.revenue', {
          category: 'revenue',
          price: { id: 'tokens', currency: 'USD', tiers_mode: 'volume', tiers: [{ up_to: 1000, unit_amount: 3 }, { up_to: 'inf', unit_amount: 2, flat_amount: 50 }] },
        }),
      ];
      customers.forEach((c, ci) => {
        for (let i = 0; i < 40; i++) {
          const day = 1 + ((ci * 7 + i * 3) % 58);
          const at = new Date(Date.UTC(2026, 4, day, i % 24, ci % 60)).toISOString();
          const late = i % 13 === 0 ? new Date(Date.UTC(2026, 4, day + 45)).toISOString() : at;
          if (i % 4 === 0) events.push(revnuUsage(c, 1 + (i % 7), 'api_calls', { occurredAt: at, receivedAt: late }));
          else if (i % 4 === 1) events.push(revnuUsage(c, 2, 'storage', { occurredAt: at }));
          else if (i % 4 === 2) events.push(reveniumMeter(c, `txn-${c}-${i % 12}`, { tokens: 100 * (1 + (i % 5)), seconds: 1.5 }, { occurredAt: at }));
          else events.push(revlintEvent(c, 'API_LIMIT_USED', { usage: 1000 + i, limit: 5000 }, { occurredAt: at }));
        }
        if (ci % 3 === 0) events.push(valuedSubscription(c, `sub_${c}`, `2026-05-${String(10 + (ci % 15)).padStart(2, '0')}T06:00:00.000Z`, ci % 2 ? 'week' : 'month', ci % 2 ? 2 : 1));
      });
      // Duplicates in the stream, as client retries produce them.
      await publisher.publish([...events, ...events.slice(100, 160)]);

      const ends = await endOffsets(stack.kafka, one.topicNames);
      expect(await caughtUp(single!, ends)).toBe(true);
      expect(await caughtUp(pairA!, ends)).toBe(true);
      const tables = METERING_TABLES.filter((t) => t !== 'dead_letters');
      const expected = await schemaChecksums(single!, 'metering', tables);
      expect(expected.find((t) => t.table === 'usage')!.rows).toBeGreaterThan(50);
      expect(expected.find((t) => t.table === 'adjustments')!.rows).toBeGreaterThan(0);
      expect(await schemaChecksums(pairA!, 'metering', tables)).toEqual(expected);
      expect(a.appliedCount).toBeGreaterThan(0);
      expect(b.appliedCount).toBeGreaterThan(0);
      expect(a.appliedCount + b.appliedCount).toBe(one.appliedCount);
    } finally {
      await Promise.all([one.stop(), a.stop(), b.stop()]);
    }
  });
});
