import type { DataSource } from 'typeorm';
import { type DomainEvent, toEnvelope } from '@revstream/events';
import { EventPublisher } from '@revstream/kafka';
import { createLogger } from '@revstream/observability';
import { createSchemaDataSource, dropDatabase, ensureDatabase, runMigrations, schemaChecksums, type TableChecksum } from '@revstream/persistence';
import { type LogRecord, ProjectionRunner } from '@revstream/projections';
import { limitReport, may, pageview, planItem, planSync, plus, premiumUse, productEvent, settingsChanged, tick, valuedSnapshot } from '../../../libs/scoring/src/testing/cohort-events';
import { eventually, isolatedStack, type IsolatedStack, readTopic, topicSize } from '@revstream/testing';
import { cohortsApp } from './cohorts.app';
import { COHORT_TABLES } from './cohorts.read-model';

const logger = createLogger('test', 'warn');
const SCHEMA = 'cohorts';
/** Every table the projection writes: the read models and the adapter's own (documents, dedup keys, dead letters). */
const CHECKED_TABLES = [...COHORT_TABLES, 'documents', 'processed_keys', 'dead_letters'];

interface Row {
  customer_id: string;
  cohort: string;
  entered_at: string;
  exited_at: string | null;
  score: number;
}

describe('cohorts: scoring from the topics into Postgres (real Kafka + Postgres)', () => {
  let stack: IsolatedStack;
  let publisher: EventPublisher;
  let live: DataSource;
  let liveRunner: ProjectionRunner;
  const dataSources: DataSource[] = [];
  const databases: string[] = [];

  const openSchema = async (url: string): Promise<DataSource> => {
    const ds = createSchemaDataSource({ url, schema: SCHEMA, migrations: cohortsApp.migrations });
    await runMigrations(ds, url);
    dataSources.push(ds);
    return ds;
  };
  const freshDatabase = async (suffix: string): Promise<DataSource> => {
    const url = new URL(stack.databaseUrl);
    url.pathname = `${url.pathname}_${suffix}`;
    await ensureDatabase(url.toString());
    databases.push(url.toString());
    return openSchema(url.toString());
  };
  const runner = (ds: DataSource, maxRecordsPerTransaction = 50): ProjectionRunner =>
    new ProjectionRunner({ kafka: stack.kafka, dataSource: ds, topics: stack.topics, handler: cohortsApp.handlers[0]!, publisher, logger, maxRecordsPerTransaction });
  const publish = (...events: DomainEvent[]): Promise<void> => publisher.publish(events.map((e) => toEnvelope(e)));
  const memberships = async (ds: DataSource, tenantId: string): Promise<Row[]> =>
    ds.query(
      `SELECT customer_id, cohort, to_char(entered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS entered_at,
              to_char(exited_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS exited_at, score
         FROM cohorts.memberships WHERE tenant_id = $1 ORDER BY cohort, customer_id, entered_at`,
      [tenantId],
    );
  /** Waits until the scorer has seen the clock reach `at` for the tenant. */
  const evaluatedAt = async (ds: DataSource, tenantId: string, at: string): Promise<void> => {
    const seen = await eventually(
      async () => ((await ds.query(`SELECT evaluated_at FROM cohorts.tenant_settings WHERE tenant_id = $1`, [tenantId])) as Array<{ evaluated_at: Date }>)[0]?.evaluated_at.toISOString(),
      (v) => v !== undefined && v >= at,
    );
    expect(seen! >= at).toBe(true);
  };

  beforeAll(async () => {
    stack = await isolatedStack('cohorts', { partitions: 3 });
    publisher = new EventPublisher(stack.kafka, stack.topics, { publishTimeoutMs: 10_000, maxRecordsPerRequest: 1_000, compression: 'none' });
    live = await openSchema(stack.databaseUrl);
    liveRunner = runner(live, 7);
    await liveRunner.start();
  });
  afterAll(async () => {
    await liveRunner.stop();
    await Promise.all(dataSources.map((d) => (d.isInitialized ? d.destroy() : undefined)));
    for (const url of databases) await dropDatabase(url);
    await publisher.disconnect();
    await stack.cleanup();
  });

  it('an account goes silent with no event arriving, only ticks; leaves on new activity; the history stays', async () => {
    const t = { tenantId: 'tn_silent' };
    await publish(valuedSnapshot('cus_quiet', may(1), 'active', [planItem('starter', 1000)], t), productEvent('cus_quiet', may(2), 'LOGIN', {}, t));
    await publish(tick(may(15, '23:59:59.999'), t));
    await evaluatedAt(live, 'tn_silent', may(15, '23:59:59.999'));
    expect(await memberships(live, 'tn_silent')).toEqual([]);

    // Nothing but the clock: exactly 14 days after the last product event, the account is silent.
    await publish(tick(may(16), t));
    await evaluatedAt(live, 'tn_silent', may(16));
    expect(await memberships(live, 'tn_silent')).toEqual([{ customer_id: 'cus_quiet', cohort: 'silent_churn', entered_at: may(16), exited_at: null, score: 14 }]);
    await publish(tick(may(19), t));
    await evaluatedAt(live, 'tn_silent', may(19));
    expect((await memberships(live, 'tn_silent'))[0]!.score).toBe(17);

    await publish(pageview('cus_quiet', may(20, '08:00:00.000'), t));
    await evaluatedAt(live, 'tn_silent', may(20, '08:00:00.000'));
    expect(await memberships(live, 'tn_silent')).toEqual([{ customer_id: 'cus_quiet', cohort: 'silent_churn', entered_at: may(16), exited_at: may(20, '08:00:00.000'), score: 18 }]);
    const [row] = await live.query(`SELECT reasons FROM cohorts.memberships WHERE tenant_id = 'tn_silent'`);
    expect(row.reasons[1]).toMatchObject({ code: 'no_recent_activity', evidence: { lastActivityAt: may(2), daysSilent: 18, windowDays: 14 } });

    // Silent again later: a second membership, the first kept.
    await publish(tick(plus(may(20), 30), t));
    await evaluatedAt(live, 'tn_silent', plus(may(20), 30));
    expect((await memberships(live, 'tn_silent')).map((r) => [r.entered_at, r.exited_at])).toEqual([
      [may(16), may(20, '08:00:00.000')],
      [plus(may(20, '08:00:00.000'), 14), null],
    ]);
  });

  it('expansion-ready by limit ratio, by premium feature on a lower plan, and by high usage', async () => {
    const t = { tenantId: 'tn_expand' };
    const events: DomainEvent[] = [planSync('starter', 1000, may(1), t), planSync('pro', 10000, may(1), t)];
    for (let i = 0; i < 8; i++) events.push(valuedSnapshot(`cus_${i}`, may(1), 'active', [planItem('starter', 1000)], t));
    events.push(valuedSnapshot('cus_top', may(1), 'active', [planItem('pro', 10000)], t));
    events.push(limitReport('cus_0', may(3), 9, 10, { ...t, eventId: 'evt-limit' }));
    events.push(premiumUse('cus_1', may(4), 'audit_export', { ...t, eventId: 'evt-premium' }));
    events.push(premiumUse('cus_top', may(4), 'audit_export', t), limitReport('cus_top', may(4), 10, 10, t));
    // cus_2 is active 6 hours a day, the others on starter 1 hour a day.
    for (let d = 1; d <= 7; d++) {
      for (let i = 2; i < 8; i++) events.push(pageview(`cus_${i}`, may(d, '09:00:00.000'), t));
      for (let h = 10; h < 15; h++) events.push(pageview('cus_2', may(d, `${h}:00:00.000`), t));
      events.push(pageview('cus_0', may(d, '09:00:00.000'), t), pageview('cus_1', may(d, '09:00:00.000'), t));
    }
    await publish(...events);
    await publish(tick(may(8, '12:00:00.000'), t));
    await evaluatedAt(live, 'tn_expand', may(8, '12:00:00.000'));

    const rows = await eventually(
      () => memberships(live, 'tn_expand'),
      (r) => r.length === 3,
    );
    expect(rows).toEqual([
      { customer_id: 'cus_0', cohort: 'expansion_ready', entered_at: may(3), exited_at: null, score: 90 },
      { customer_id: 'cus_1', cohort: 'expansion_ready', entered_at: may(4), exited_at: null, score: 80 },
      { customer_id: 'cus_2', cohort: 'expansion_ready', entered_at: may(2), exited_at: null, score: 100 },
    ]);
    const reasons = Object.fromEntries(
      ((await live.query(`SELECT customer_id, reasons FROM cohorts.memberships WHERE tenant_id = 'tn_expand'`)) as Array<{ customer_id: string; reasons: Array<{ code: string; evidence: object }> }>).map((r) => [
        r.customer_id,
        r.reasons,
      ]),
    );
    expect(reasons.cus_0![1]).toMatchObject({ code: 'usage_limit', evidence: { eventId: 'evt-limit', ratio: 0.9, usage: 9, limit: 10 } });
    expect(reasons.cus_1![1]).toMatchObject({ code: 'premium_feature', evidence: { eventId: 'evt-premium', feature: 'audit_export' } });
    expect(reasons.cus_2![1]).toMatchObject({ code: 'high_usage', evidence: { activeHours: 42, peers: 8, percentile: 90 } });
    expect(await live.query(`SELECT plan, monthly_price::int, top FROM cohorts.plans WHERE tenant_id = 'tn_expand' ORDER BY plan`)).toEqual([
      { plan: 'pro', monthly_price: 10000, top: true },
      { plan: 'starter', monthly_price: 1000, top: false },
    ]);

    // A tenant setting in the log changes the rule: 95% of the limit, so cus_0 (90%) leaves.
    await publish(settingsChanged({ limitThresholdPercent: 95 }, may(8, '13:00:00.000'), t));
    await evaluatedAt(live, 'tn_expand', may(8, '13:00:00.000'));
    expect((await memberships(live, 'tn_expand')).map((r) => r.customer_id)).toEqual(['cus_1', 'cus_2']);
  });

  it('dead-letters a poison event (table and topic) with its reason, and keeps going', async () => {
    const t = { tenantId: 'tn_poison' };
    await publish(settingsChanged({ silentWindowDays: 0 }, may(1), { ...t, eventId: 'evt-bad-settings' }));
    await publisher.publishRecords([{ topic: stack.topics.name('clock'), message: { key: 'tn_poison:', value: '{"not": "an envelope"' } }]);
    await publish(valuedSnapshot('cus_p', may(1), 'active', [planItem('starter', 1000)], t), tick(may(20), t));
    await evaluatedAt(live, 'tn_poison', may(20));

    const letters = await eventually(
      () => live.query(`SELECT event_id, reason, detail FROM cohorts.dead_letters ORDER BY reason`) as Promise<Array<{ event_id: string | null; reason: string; detail: string }>>,
      (r) => r.length === 2,
    );
    expect(letters).toEqual([
      { event_id: 'evt-bad-settings', reason: 'invalid_body', detail: expect.stringMatching(/^silentWindowDays: must be an integer from 1 to 365/) },
      { event_id: null, reason: 'invalid_json', detail: expect.any(String) },
    ]);
    const dlq = await readTopic(stack.kafka, stack.topics.name('dead-letter'), 2);
    expect(dlq.map((m) => JSON.parse(m.value!).reason).sort()).toEqual(['invalid_body', 'invalid_json']);
    // The tenant is scored with its default window: the bad setting changed nothing.
    expect((await memberships(live, 'tn_poison')).map((r) => r.entered_at)).toEqual([may(15)]);
  });

  describe('the same log gives the same tables, byte for byte', () => {
    let log: Map<string, Map<number, LogRecord[]>>;
    let reference: TableChecksum[];

    const replay = async (name: string, order: Array<[string, number]>, chunk: number, roundRobin = false): Promise<TableChecksum[]> => {
      const ds = await freshDatabase(name);
      const r = runner(ds);
      const queues = order.map(([topic, partition]) => ({ topic, partition, records: [...(log.get(topic)?.get(partition) ?? [])] }));
      if (roundRobin) {
        while (queues.some((q) => q.records.length > 0)) {
          for (const q of queues) if (q.records.length > 0) await r.applyRecords(q.topic, q.partition, q.records.splice(0, chunk));
        }
      } else {
        for (const q of queues) while (q.records.length > 0) await r.applyRecords(q.topic, q.partition, q.records.splice(0, chunk));
      }
      return schemaChecksums(ds, SCHEMA, CHECKED_TABLES);
    };

    beforeAll(async () => {
      // Everything the tests above published, as it sits in the log.
      log = new Map();
      for (const topic of [stack.topics.raw('revlint'), stack.topics.raw('pulsora'), stack.topics.raw('valued'), stack.topics.name('catalog'), stack.topics.name('clock')]) {
        const byPartition = new Map<number, LogRecord[]>();
        for (const m of await readTopic(stack.kafka, topic, await topicSize(stack.kafka, topic))) {
          const list = byPartition.get(m.partition) ?? [];
          list.push({ offset: m.offset, key: m.key, value: m.value });
          byPartition.set(m.partition, list);
        }
        for (const list of byPartition.values()) list.sort((a, b) => Number(BigInt(a.offset) - BigInt(b.offset)));
        log.set(topic, byPartition);
      }
      const [total] = await live.query(`SELECT sum("offset" + 1)::int AS n FROM cohorts.checkpoints`);
      expect(total.n).toBe([...log.values()].reduce((n, p) => n + [...p.values()].reduce((k, l) => k + l.length, 0), 0));
      reference = await schemaChecksums(live, SCHEMA, CHECKED_TABLES);
      expect(reference.find((c) => c.table === 'memberships')!.rows).toBe(5);
    });

    const partitions = (): Array<[string, number]> => [...log.entries()].flatMap(([topic, p]) => [...p.keys()].sort().map((n): [string, number] => [topic, n]));
    const isClock = ([topic]: [string, number]): boolean => topic === stack.topics.name('clock') || topic === stack.topics.name('catalog');

    it('replayed into a fresh database: product and billing topics first, then the clock and settings', async () => {
      const order = [...partitions().filter((p) => !isClock(p)), ...partitions().filter(isClock)];
      expect(await replay('raw_first', order, 500)).toEqual(reference);
    });

    it('replayed with the clock first, then everything else, in small batches', async () => {
      const order = [...partitions().filter(isClock), ...partitions().filter((p) => !isClock(p)).reverse()];
      expect(await replay('clock_first', order, 3)).toEqual(reference);
    });

    it('replayed interleaving every topic and partition, a few records at a time', async () => {
      expect(await replay('interleaved', partitions().reverse(), 4, true)).toEqual(reference);
    });

    it('two instances in one consumer group build exactly what one instance builds', async () => {
      const single = await freshDatabase('single');
      const pairA = await freshDatabase('pair');
      const pairB = await openSchema(databases[databases.length - 1]!);
      const one = runner(single);
      const a = runner(pairA, 5);
      const b = runner(pairB, 5);
      await Promise.all([one.start(), a.start(), b.start()]);
      try {
        expect(await eventually(() => schemaChecksums(single, SCHEMA, CHECKED_TABLES), (c) => JSON.stringify(c) === JSON.stringify(reference), 120_000)).toEqual(reference);
        expect(await eventually(() => schemaChecksums(pairA, SCHEMA, CHECKED_TABLES), (c) => JSON.stringify(c) === JSON.stringify(reference), 120_000)).toEqual(reference);
        expect(a.appliedCount + b.appliedCount).toBe(one.appliedCount);
      } finally {
        await Promise.all([one.stop(), a.stop(), b.stop()]);
      }
    });
  });
});

