import { createEnvelope, decodeEnvelope, type Envelope } from '@revstream/events';
import { describeRetention, EventPublisher, KafkaUnavailableError, createKafka } from '@revstream/kafka';
import { isolatedStack, readTopic, type IsolatedStack } from '@revstream/testing';

describe('kafka lib against the real broker', () => {
  let stack: IsolatedStack;
  let publisher: EventPublisher;

  beforeAll(async () => {
    stack = await isolatedStack('publisher');
    publisher = new EventPublisher(stack.kafka, stack.topics, { publishTimeoutMs: 10_000, maxRecordsPerRequest: 1_000, compression: 'none' });
  });
  afterAll(async () => {
    await publisher.disconnect();
    await stack.cleanup();
  });

  const usage = (i: number, customer: string): Envelope<'revnu.usage'> =>
    createEnvelope({
      eventId: `evt-${i}`,
      tenantId: 'tenant-a',
      type: 'revnu.usage',
      receivedAt: '2026-05-29T15:00:00.000Z',
      customerId: customer,
      producer: 'test',
      body: { productId: 'prod_1', stripeCustomerId: customer, value: i + 1, eventName: 'api_calls' },
    });

  it('publishes envelopes with acks=all and reads them back, keyed by tenant and customer, in order per customer', async () => {
    const envelopes = Array.from({ length: 50 }, (_, i) => usage(i, `cus_${i % 5}`));
    // Concurrent publishers are grouped into shared produce requests; each still resolves only once acknowledged.
    await Promise.all([publisher.publish(envelopes.slice(0, 20)), publisher.publish(envelopes.slice(20, 35)), publisher.publish(envelopes.slice(35))]);

    const records = await readTopic(stack.kafka, stack.topics.raw('revnu'), 50);
    expect(records).toHaveLength(50);
    const decoded = records.map((r) => decodeEnvelope(r.value));
    expect(new Set(decoded.map((e) => e.metadata.eventId))).toEqual(new Set(envelopes.map((e) => e.eventId)));
    for (const r of records) {
      const event = decodeEnvelope(r.value);
      expect(r.key).toBe(`tenant-a:${event.metadata.customerId}`);
      expect(event.type).toBe('revnu.usage');
      // The type and schema version travel in the value only: no per-record headers to encode.
      expect(r.headers).toEqual({});
    }
    // One customer's records all land on one partition, in the order they were published.
    const byCustomer = new Map<string, Array<{ partition: number; offset: number; value: number }>>();
    for (const r of records) {
      const e = decodeEnvelope(r.value);
      if (e.type !== 'revnu.usage') throw new Error('unexpected type');
      const list = byCustomer.get(e.data.stripeCustomerId) ?? [];
      list.push({ partition: r.partition, offset: Number(r.offset), value: e.data.value });
      byCustomer.set(e.data.stripeCustomerId, list);
    }
    for (const list of byCustomer.values()) {
      expect(new Set(list.map((x) => x.partition)).size).toBe(1);
      const byOffset = [...list].sort((a, b) => a.offset - b.offset).map((x) => x.value);
      expect(byOffset).toEqual([...byOffset].sort((a, b) => a - b));
    }
  });

  it('creates every topic with no time retention and broker append time', async () => {
    const retention = await describeRetention(stack.kafka, stack.topics.all);
    expect(retention.map((r) => r.topic).sort()).toEqual([...stack.topics.all].sort());
    for (const r of retention) {
      expect(r).toMatchObject({ retentionMs: '-1', retentionBytes: '-1', timestampType: 'LogAppendTime', cleanupPolicy: 'delete' });
    }
  });

  it('refuses with KafkaUnavailableError, never resolving, when no broker takes the write', async () => {
    const nowhere = createKafka({ brokers: '127.0.0.1:1', clientId: 'test-nowhere', retry: { retries: 0 } });
    const stranded = new EventPublisher(nowhere, stack.topics, { publishTimeoutMs: 2_000, maxRecordsPerRequest: 10, compression: 'none' });
    await expect(stranded.publish([usage(1, 'cus_x')])).rejects.toBeInstanceOf(KafkaUnavailableError);
    await stranded.disconnect().catch(() => undefined);
  });
});
