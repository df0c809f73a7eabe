import type { INestApplication } from '@nestjs/common';
import { loadConfig } from '@revstream/config';
import { encodeEnvelope, type Envelope, type RawSource } from '@revstream/events';
import type { EventPublisher } from '@revstream/kafka';
import { createSchemaDataSource } from '@revstream/persistence';
import { startProjectionApp } from '@revstream/projections';
import { eventually, isolatedStack, type IsolatedStack, readTopic } from '@revstream/testing';
import { MeteringConfig } from '../../apps/metering/src/metering.config';
import { MeteringModule } from '../../apps/metering/src/metering.module';
import { meteringApp } from '../../apps/metering/src/metering.app';
import { reveniumMeter, revlintEvent, revnuUsage } from '../../apps/metering/src/testing/metering-fixtures';
import { appCaughtUp, chaosPublisher, report } from './chaos-harness';

const TENANT = 'tn_poison';

/** Three kinds of poison for a raw topic, keyed like the good records that follow them (same partition). */
function poisonFor(good: Envelope, key: string): Array<{ reason: string; key: string; value: string }> {
  return [
    { reason: 'invalid_json', key, value: `this is not json {${good.eventId}` },
    { reason: 'invalid_envelope', key, value: JSON.stringify({ type: good.type, hello: 'a wrong envelope', eventId: `${good.eventId}-env` }) },
    { reason: 'unknown_schema_version', key, value: JSON.stringify({ ...good, eventId: `${good.eventId}-v99`, schemaVersion: 99 }) },
  ];
}

describe('chaos: poison records on the raw topics (real Kafka + Postgres, the real metering app)', () => {
  let stack: IsolatedStack;
  let publisher: EventPublisher;
  let app: INestApplication | undefined;

  beforeAll(async () => {
    stack = await isolatedStack('chaos_poison', { partitions: 3 });
    publisher = chaosPublisher(stack);
  });
  afterAll(async () => {
    await app?.close();
    await publisher.disconnect();
    await stack.cleanup();
  });

  it('go to the dead-letter topic and table with their reason, and the good records after them are projected', async () => {
    const sources: Record<'revnu' | 'revenium' | 'revlint', (i: number) => Envelope> = {
      revnu: (i) => revnuUsage('cus_p', 1 + i, 'api_calls', { tenantId: TENANT, eventId: `pz-revnu-${i}` }),
      revenium: (i) => reveniumMeter('cus_p', `pz-txn-${i}`, { tokens: 1 + i }, { tenantId: TENANT, eventId: `pz-revenium-${i}` }),
      revlint: (i) => revlintEvent('cus_p', 'API_LIMIT_USED', { usage: i, limit: 1000 }, { tenantId: TENANT, eventId: `pz-revlint-${i}` }),
    };
    const expected: Array<{ topic: string; reason: string }> = [];
    const goodIds: string[] = [];
    // Per topic: 10 good, the poison, 10 good (after the poison, on its partition), the poison again, 10 good.
    for (const [source, make] of Object.entries(sources) as Array<[RawSource, (i: number) => Envelope]>) {
      const topic = stack.topics.raw(source);
      const records: Array<{ topic: string; message: { key: string; value: string; headers?: Record<string, string> } }> = [];
      for (let i = 0; i < 30; i++) {
        const good = make(i);
        if (i === 10 || i === 20) {
          for (const p of poisonFor(good, encodeEnvelope(good).key)) {
            records.push({ topic, message: { key: p.key, value: p.value } });
            expected.push({ topic, reason: p.reason });
          }
        }
        const r = encodeEnvelope(good);
        records.push({ topic, message: { key: r.key, value: r.value } });
        // The ledger's dedup key: the source's idempotency key when it sends one, else the event id.
        goodIds.push(good.idempotencyKey !== null ? `${good.source}:${good.idempotencyKey}` : `event:${good.eventId}`);
      }
      await publisher.publishRecords(records);
    }

    app = await startProjectionApp(MeteringModule.forRoot(loadConfig(MeteringConfig, { ...stack.env, LOG_LEVEL: 'error' })), 0, '127.0.0.1');
    expect(await eventually(() => appCaughtUp(stack, meteringApp, stack.databaseUrl), Boolean, 120_000)).toBe(true);

    const ds = createSchemaDataSource({ url: stack.databaseUrl, schema: 'metering', migrations: meteringApp.migrations, poolSize: 1 });
    await ds.initialize();
    try {
      const letters = (await ds.query(`SELECT topic, reason, detail, payload FROM metering.dead_letters ORDER BY topic, "offset"`)) as Array<{ topic: string; reason: string; detail: string; payload: string }>;
      expect(letters.map((l) => ({ topic: l.topic, reason: l.reason })).sort(byTopicReason)).toEqual([...expected].sort(byTopicReason));
      expect(letters.every((l) => l.detail.length > 0 && l.payload.length > 0)).toBe(true);
      // Every good record, before and after the poison, is in the ledger once.
      const ledger = (await ds.query(`SELECT dedup_key FROM metering.usage_ledger WHERE tenant_id = $1`, [TENANT])) as Array<{ dedup_key: string }>;
      const keys = new Set(ledger.map((r) => r.dedup_key));
      const missing = goodIds.filter((id) => !keys.has(id));
      expect(missing).toEqual([]);
    } finally {
      await ds.destroy();
    }

    const dlq = await readTopic(stack.kafka, stack.topics.name('dead-letter'), expected.length, 30_000);
    const onTopic = dlq.map((m) => JSON.parse(m.value!) as { topic: string; reason: string; payload: string });
    expect(onTopic.map((d) => ({ topic: d.topic, reason: d.reason })).sort(byTopicReason)).toEqual([...expected].sort(byTopicReason));
    expect(onTopic.filter((d) => d.reason === 'invalid_json').every((d) => d.payload.startsWith('this is not json'))).toBe(true);
    report('poison', { topics: 3, good: goodIds.length, poison: expected.length, deadLettered: dlq.length, lost: 0, duplicated: 0 });
  });
});

const byTopicReason = (a: { topic: string; reason: string }, b: { topic: string; reason: string }): number =>
  a.topic.localeCompare(b.topic) || a.reason.localeCompare(b.reason);
