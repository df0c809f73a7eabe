import type { DataSource } from 'typeorm';
import { type Envelope, Topics } from '@revstream/events';
import { ensureTopics, EventPublisher } from '@revstream/kafka';
import { createLogger } from '@revstream/observability';
import { createSchemaDataSource, runMigrations, schemaChecksums } from '@revstream/persistence';
import { documentProjectionHandler, ProjectionRunner } from '@revstream/projections';
import { eventually, isolatedStack, readTopic, type IsolatedStack } from '@revstream/testing';
import { BILLING_MIGRATIONS } from './billing.app';
import { billingProjection } from './billing.projection';
import { BILLING_TABLE_NAMES, billingReadModel } from './billing.read-model';
import { pulsoraEnvelope, SEED_VALUED, subscriptionBody, valuedEnvelope } from './testing/billing-fixtures';
import { billingWorkload, prng } from './testing/billing-workload';

const logger = createLogger('test', 'warn');
const T = 'tn_int';
const day = (d: number): string => `2026-03-${String(d).padStart(2, '0')}T12:00:00.000Z`;

describe('billing projector against the real broker and Postgres', () => {
  let stack: IsolatedStack;
  let publisher: EventPublisher;
  const dataSources: DataSource[] = [];
  const runners: ProjectionRunner[] = [];

  const openSchema = async (schema: string): Promise<DataSource> => {
    const ds = createSchemaDataSource({ url: stack.databaseUrl, schema, migrations: BILLING_MIGRATIONS });
    await runMigrations(ds, stack.databaseUrl);
    dataSources.push(ds);
    return ds;
  };
  const runner = (ds: DataSource, topics: Topics = stack.topics, publishTo: EventPublisher = publisher): ProjectionRunner => {
    const r = new ProjectionRunner({
      kafka: stack.kafka,
      dataSource: ds,
      topics,
      handler: documentProjectionHandler(billingProjection, billingReadModel),
      publisher: publishTo,
      logger,
      maxRecordsPerTransaction: 40, // small, so batches split mid-stream
    });
    runners.push(r);
    return r;
  };
  /** Every partition of the billing topics is checkpointed at its last offset. */
  const caughtUp = async (ds: DataSource, schema: string, topics: Topics): Promise<boolean> => {
    const admin = stack.kafka.admin();
    await admin.connect();
    try {
      for (const topic of [topics.raw('valued'), topics.raw('pulsora')]) {
        for (const p of await admin.fetchTopicOffsets(topic)) {
          if (p.high === p.low) continue;
          const [row] = await ds.query(`SELECT "offset" FROM "${schema}".checkpoints WHERE topic = $1 AND partition = $2`, [topic, p.partition]);
          if (!row || BigInt(row.offset) !== BigInt(p.high) - 1n) return false;
        }
      }
      return true;
    } finally {
      await admin.disconnect();
    }
  };
  const query = (ds: DataSource, sql: string) => ds.query(sql) as Promise<Array<Record<string, unknown>>>;

  beforeAll(async () => {
    stack = await isolatedStack('billing', { partitions: 3 });
    publisher = new EventPublisher(stack.kafka, stack.topics, { publishTimeoutMs: 10_000, maxRecordsPerRequest: 1_000, compression: 'none' });
  });
  afterAll(async () => {
    await Promise.all(runners.map((r) => r.stop()));
    await Promise.all(dataSources.map((d) => (d.isInitialized ? d.destroy() : undefined)));
    await publisher.disconnect();
    await stack.cleanup();
  });

  it('projects the seed examples and Pulsora events from Kafka; a duplicate delivery and a repeated transaction_id are no-ops', async () => {
    const ds = await openSchema('billing');
    const subscribe = pulsoraEnvelope('p1', T, day(2), { customer_id: 'cus_42', transaction_id: 'ch_1', event_type: 'subscription', amount: 100, customer_subscription_id: 'sub_9' });
    const events: Envelope[] = [
      valuedEnvelope('v1', T, day(1), SEED_VALUED.subscription),
      valuedEnvelope('v2', T, day(1), SEED_VALUED.withItems),
      valuedEnvelope('v3', T, day(2), SEED_VALUED.withTiers),
      valuedEnvelope('v4', T, day(3), SEED_VALUED.withInvoice),
      valuedEnvelope('v5', T, day(1), SEED_VALUED.planSync),
      valuedEnvelope('v6', T, day(1), subscriptionBody('cus_seats', 'sub_s', 'active', 50_000, 'year', 4)),
      subscribe,
      pulsoraEnvelope('p2', T, day(3), { customer_id: 'cus_42', transaction_id: 'ch_2', event_type: 'upgrade', amount: 250, mrr_impact: 150, customer_subscription_id: 'sub_9' }),
      pulsoraEnvelope('p3', T, day(4), { customer_id: 'cus_42', transaction_id: 'ch_3', event_type: 'refund', amount: 250 }),
      // duplicates: the same event delivered again, and a client retry of ch_1 under a new event id
      subscribe,
      { ...subscribe, eventId: 'p1-retry', body: { ...subscribe.body, amount: 999 } },
    ];
    await publisher.publish(events);
    const r = runner(ds);
    await r.start();
    expect(await eventually(() => caughtUp(ds, 'billing', stack.topics), Boolean)).toBe(true);

    expect(await query(ds, `SELECT customer_id, currency, amount::int FROM billing.customer_mrr ORDER BY customer_id, currency`)).toEqual([
      { customer_id: '123', currency: 'USD', amount: 0 },
      { customer_id: 'cus_42', currency: 'USD', amount: 25_000 },
      { customer_id: 'cus_seats', currency: 'USD', amount: 16_667 },
      { customer_id: 'valued-cus-312', currency: 'USD', amount: 208 },
    ]);
    expect(await query(ds, `SELECT customer_id, type, before::int, after::int, delta::int, event_id FROM billing.mrr_movements ORDER BY occurred_at, customer_id`)).toEqual([
      { customer_id: 'cus_seats', type: 'new', before: 0, after: 16_667, delta: 16_667, event_id: 'v6' },
      { customer_id: 'valued-cus-312', type: 'new', before: 0, after: 200, delta: 200, event_id: 'v2' },
      { customer_id: 'cus_42', type: 'new', before: 0, after: 10_000, delta: 10_000, event_id: 'p1' },
      { customer_id: 'valued-cus-312', type: 'expansion', before: 200, after: 208, delta: 8, event_id: 'v3' },
      { customer_id: 'cus_42', type: 'expansion', before: 10_000, after: 25_000, delta: 15_000, event_id: 'p2' },
    ]);
    expect(await query(ds, `SELECT invoice_key, total::int, tax::int, status FROM billing.invoices`)).toEqual([{ invoice_key: 'inv-924', total: 1000, tax: 230, status: 'paid' }]);
    expect(await query(ds, `SELECT count(*)::int AS n FROM billing.invoice_items`)).toEqual([{ n: 2 }]);
    expect(await query(ds, `SELECT price_key, billing_scheme, tiers_mode, tiers FROM billing.prices`)).toEqual([
      { price_key: 'price-399-monthly-plus', billing_scheme: 'tiered', tiers_mode: 'graduated', tiers: [{ up_to: 399, unit_amount: 199, flat_amount: 299 }, { up_to: null, unit_amount: 399, flat_amount: 100 }] },
    ]);
    expect(await query(ds, `SELECT day::text, net_mrr::int FROM billing.mrr_daily ORDER BY day`)).toEqual([
      { day: '2026-03-01', net_mrr: 16_867 },
      { day: '2026-03-02', net_mrr: 10_008 },
      { day: '2026-03-03', net_mrr: 15_000 },
    ]);
    expect(await query(ds, `SELECT day::text, mrr::int FROM billing.mrr_per_day ORDER BY day`)).toEqual([
      { day: '2026-03-01', mrr: 16_867 },
      { day: '2026-03-02', mrr: 26_875 },
      { day: '2026-03-03', mrr: 41_875 },
    ]);

    // Redelivery after a crash or rebalance: the same records again change nothing.
    const before = await schemaChecksums(ds, 'billing', BILLING_TABLE_NAMES);
    const delivered = await readTopic(stack.kafka, stack.topics.raw('pulsora'), 5);
    for (const p of [...new Set(delivered.map((d) => d.partition))]) {
      expect(await r.applyRecords(stack.topics.raw('pulsora'), p, delivered.filter((d) => d.partition === p))).toBe(0);
    }
    // A repeated transaction_id at a later offset is a no-op too.
    await publisher.publish([{ ...subscribe, eventId: 'p1-late-retry', occurredAt: day(9), body: { ...subscribe.body, amount: 1 } }]);
    expect(await eventually(() => caughtUp(ds, 'billing', stack.topics), Boolean)).toBe(true);
    expect(await schemaChecksums(ds, 'billing', BILLING_TABLE_NAMES)).toEqual(before);
  });

  it('dead-letters a poison event with its reason (table and topic), and the partition keeps moving', async () => {
    const ds = dataSources[0]!;
    const noPrice = valuedEnvelope('bad-1', T, day(5), {
      category: 'revenue', customer: { id: 'cus_poison' }, subscription: { source_key: 's', status: 'active', currency: 'USD' },
      subscription_items: [{ source_key: 'i', quantity: 1, plan: { source_key: 'p' } }],
    });
    await publisher.publish([noPrice]);
    await publisher.publishRecords([{ topic: stack.topics.raw('valued'), message: { key: `${T}:cus_poison`, value: 'not json at all' } }]);
    await publisher.publish([valuedEnvelope('good-1', T, day(6), subscriptionBody('cus_poison', 's', 'active', 3_000, 'month'))]);
    expect(await eventually(() => caughtUp(ds, 'billing', stack.topics), Boolean)).toBe(true);

    expect(await query(ds, `SELECT event_id, reason, detail FROM billing.dead_letters ORDER BY "offset"`)).toEqual([
      { event_id: 'bad-1', reason: 'invalid_body', detail: 'subscription_items[0].plan.price: missing: send the price inline (price or plan.price) so the item can be valued' },
      { event_id: null, reason: 'invalid_json', detail: expect.stringContaining('JSON') },
    ]);
    expect(await query(ds, `SELECT amount::int FROM billing.customer_mrr WHERE customer_id = 'cus_poison'`)).toEqual([{ amount: 3_000 }]);
    const dlq = await readTopic(stack.kafka, stack.topics.name('dead-letter'), 2);
    expect(dlq.map((m) => JSON.parse(m.value!).reason).sort()).toEqual(['invalid_body', 'invalid_json']);
  });

  it('two instances in one consumer group build exactly what one instance builds', async () => {
    const single = await openSchema('billing_single');
    const pairA = await openSchema('billing_pair');
    const pairB = await openSchema('billing_pair');
    const one = runner(single);
    const a = runner(pairA);
    const b = runner(pairB);
    await Promise.all([one.start(), a.start(), b.start()]);
    // Both members hold partitions before the workload is published, so both must do part of it.
    const held = (r: ProjectionRunner): number => Object.values(r.assignment).reduce((n, ps) => n + ps.length, 0);
    expect(await eventually(async () => [held(a), held(b)], ([x, y]) => x! > 0 && y! > 0 && x! + y! === 6)).toEqual([expect.any(Number), expect.any(Number)]);
    await publisher.publish([...billingWorkload({ tenants: ['tn_x', 'tn_y'], customersPerTenant: 40, eventsPerCustomer: 8, idPrefix: 'scale' })]);
    expect(await eventually(() => caughtUp(single, 'billing_single', stack.topics), Boolean, 120_000)).toBe(true);
    expect(await eventually(() => caughtUp(pairA, 'billing_pair', stack.topics), Boolean, 120_000)).toBe(true);

    const tables = [...BILLING_TABLE_NAMES, 'dead_letters', 'documents', 'processed_keys'];
    expect(await schemaChecksums(pairA, 'billing_pair', tables)).toEqual(await schemaChecksums(single, 'billing_single', tables));
    expect(a.appliedCount).toBeGreaterThan(0);
    expect(b.appliedCount).toBeGreaterThan(0);
    expect(a.appliedCount + b.appliedCount).toBe(one.appliedCount);
    // and the first instance, which saw the same topics from the start, agrees too
    expect(await schemaChecksums(dataSources[0]!, 'billing', BILLING_TABLE_NAMES)).toEqual(await schemaChecksums(single, 'billing_single', BILLING_TABLE_NAMES));
  });

  it('late and out-of-order events leave the same read models as in-order arrival', async () => {
    const ordered = new Topics(`${stack.topicPrefix}.ordered`);
    const late = new Topics(`${stack.topicPrefix}.late`);
    await ensureTopics(stack.kafka, ordered, { partitions: 3, replicationFactor: 1 });
    await ensureTopics(stack.kafka, late, { partitions: 3, replicationFactor: 1 });
    const events = [...billingWorkload({ tenants: ['tn_o'], customersPerTenant: 60, eventsPerCustomer: 8, idPrefix: 'ooo', seed: 7 })];
    const inTimeOrder = [...events].sort((x, y) => x.occurredAt.localeCompare(y.occurredAt) || x.eventId.localeCompare(y.eventId));
    const rand = prng(99);
    const shuffled = [...events].map((e) => ({ e, k: rand() })).sort((x, y) => x.k - y.k).map((x) => x.e);

    const orderedPublisher = new EventPublisher(stack.kafka, ordered, { publishTimeoutMs: 10_000, maxRecordsPerRequest: 1_000, compression: 'none' });
    const latePublisher = new EventPublisher(stack.kafka, late, { publishTimeoutMs: 10_000, maxRecordsPerRequest: 1_000, compression: 'none' });
    try {
      await orderedPublisher.publish(inTimeOrder);
      for (let i = 0; i < shuffled.length; i += 37) await latePublisher.publish(shuffled.slice(i, i + 37));
      const dsOrdered = await openSchema('billing_ordered');
      const dsLate = await openSchema('billing_late');
      await Promise.all([runner(dsOrdered, ordered, orderedPublisher).start(), runner(dsLate, late, latePublisher).start()]);
      expect(await eventually(() => caughtUp(dsOrdered, 'billing_ordered', ordered), Boolean, 120_000)).toBe(true);
      expect(await eventually(() => caughtUp(dsLate, 'billing_late', late), Boolean, 120_000)).toBe(true);

      const tables = [...BILLING_TABLE_NAMES, 'documents', 'processed_keys'];
      const expected = await schemaChecksums(dsOrdered, 'billing_ordered', tables);
      expect(expected.find((c) => c.table === 'mrr_movements')!.rows).toBeGreaterThan(50);
      expect(await schemaChecksums(dsLate, 'billing_late', tables)).toEqual(expected);
    } finally {
      await Promise.all(runners.splice(-2).map((r) => r.stop()));
      await orderedPublisher.disconnect();
      await latePublisher.disconnect();
    }
  });
});
