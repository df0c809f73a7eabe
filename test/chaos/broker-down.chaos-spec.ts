import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { isolatedStack, type IsolatedStack, type PrivateKafka, readTopic, startPrivateKafka, topicSize } from '@revstream/testing';
import { TenancyRepository, type CreatedTenant } from '@revstream/tenancy';
import { bootGateway, send } from '../../apps/gateway/src/testing/gateway-harness';
import { registerProduct } from '../../apps/cli/src/commands/register-product.use-case';
import { chaosPublisher, report } from './chaos-harness';

/**
 * The broker stops for 10 s during ingest and comes back. A private broker (tools/kafka-local, free
 * ports, data under /tmp): the shared one on 9092 is never stopped. The gateway runs in this process
 * against it; four clients keep posting Revenium meter events (201) and Revnu usage (200) in a loop.
 */

const OUTAGE_MS = 10_000;
const CLIENTS = 4;

interface Sent {
  kind: 'revenium' | 'revnu';
  id: string;
  sentAt: number;
  answeredAt: number;
  status: number;
  retryAfter: string | null;
}

describe('chaos: the broker stopped for 10 s during ingest (private broker, real gateway)', () => {
  let kafka: PrivateKafka;
  let stack: IsolatedStack;
  let app: NestFastifyApplication;
  let url: string;
  let tenant: CreatedTenant;

  beforeAll(async () => {
    kafka = await startPrivateKafka();
    stack = await isolatedStack('chaos_broker_down', { kafkaBrokers: kafka.brokers, partitions: 3 });
    ({ app, url } = await bootGateway(stack, { KAFKA_PUBLISH_TIMEOUT_MS: '2000', REVNU_RATE_LIMIT_PER_MINUTE: '1000000', LOG_LEVEL: 'silent' }));
    const repo = app.get(TenancyRepository);
    tenant = await repo.createTenant('broker down');
    const publisher = chaosPublisher(stack);
    await registerProduct(repo, publisher, tenant.tenantId, { productId: 'prod_api', model: 'metered', eventName: 'api_calls', currency: 'USD', unitAmount: 2, flatAmount: null });
    await publisher.disconnect();
  });
  afterAll(async () => {
    await app?.close();
    await stack?.cleanup().catch(() => undefined);
    await kafka?.cleanup();
  });

  it('answers 503 + Retry-After (Revnu 502) during the outage, never a 2xx; afterwards every acknowledged event is on its topic exactly once', async () => {
    const sent: Sent[] = [];
    let running = true;
    let n = 0;
    const client = async (c: number): Promise<void> => {
      while (running) {
        const i = n++;
        const kind = i % 2 === 0 ? 'revenium' : 'revnu';
        const id = `bd-${c}-${i}`;
        const sentAt = Date.now();
        const r =
          kind === 'revenium'
            ? await send(url, 'POST', '/meter/v2/events', { transactionId: id, payload: { apiCalls: 1 }, subscriberCredential: 'cus_bd' }, { 'x-api-key': tenant.tokens.ingest })
            : await send(url, 'POST', '/api/v1/usage', { productId: 'prod_api', stripeCustomerId: id, value: 1 }, { authorization: `Bearer ${tenant.tokens.ingest}` });
        sent.push({ kind, id, sentAt, answeredAt: Date.now(), status: r.status, retryAfter: r.headers.get('retry-after') });
        if (r.status === 401) await new Promise((res) => setTimeout(res, 100)); // the directory has not seen the tenant yet
      }
    };
    const clients = Array.from({ length: CLIENTS }, (_, c) => client(c));
    const until = async (predicate: () => boolean): Promise<void> => {
      while (!predicate()) await new Promise((res) => setTimeout(res, 50));
    };
    // Some acknowledged traffic first.
    await until(() => sent.filter((s) => s.status === 201 || s.status === 200).length >= 200);
    const stopAt = Date.now();
    await kafka.stop();
    const stoppedAt = Date.now();
    await new Promise((res) => setTimeout(res, OUTAGE_MS));
    const restartAt = Date.now();
    await kafka.start();
    const restartedAt = Date.now();
    // Traffic after the restart, until it is acknowledged again for a while.
    await until(() => sent.filter((s) => s.sentAt > restartedAt && (s.status === 201 || s.status === 200)).length >= 200);
    running = false;
    await Promise.all(clients);

    // During the outage (sent after the broker was gone, answered before it was started again).
    const during = sent.filter((s) => s.sentAt >= stoppedAt && s.answeredAt <= restartAt);
    const wrong = during.filter((s) => s.status !== (s.kind === 'revnu' ? 502 : 503) || s.retryAfter === null);
    expect(during.length).toBeGreaterThan(0);
    expect(wrong.slice(0, 10)).toEqual([]);

    // Afterwards: every acknowledged event exactly once on its topic.
    const acked = sent.filter((s) => s.status === 201 || s.status === 200);
    const onTopic = new Map<string, number>();
    for (const source of ['revenium', 'revnu'] as const) {
      const size = await topicSize(stack.kafka, stack.topics.raw(source));
      const records = await readTopic(stack.kafka, stack.topics.raw(source), size, 60_000);
      expect(records.length).toBe(size);
      for (const r of records) {
        const e = JSON.parse(r.value!) as { body: { transactionId?: string; stripeCustomerId?: string } };
        const id = e.body.transactionId ?? e.body.stripeCustomerId!;
        onTopic.set(id, (onTopic.get(id) ?? 0) + 1);
      }
    }
    const lost = acked.filter((s) => (onTopic.get(s.id) ?? 0) === 0);
    const duplicated = acked.filter((s) => (onTopic.get(s.id) ?? 0) > 1);
    const refused = sent.filter((s) => s.status >= 500);
    const refusedButStored = refused.filter((s) => (onTopic.get(s.id) ?? 0) > 0);
    const statuses = [...sent.reduce((m, s) => m.set(s.status, (m.get(s.status) ?? 0) + 1), new Map<number, number>())].sort(([a], [b]) => a - b);
    report('broker down', {
      requests: sent.length,
      acknowledged: acked.length,
      statuses: statuses.map(([k, v]) => `${k}:${v}`).join(','),
      duringOutage: during.length,
      stopMs: stoppedAt - stopAt,
      outageMs: restartAt - stoppedAt,
      restartMs: restartedAt - restartAt,
      refusedButStored: refusedButStored.length,
      lost: lost.length,
      duplicated: duplicated.length,
    });
    const when = (s: Sent): string => `${s.id} ${s.status} sent ${s.sentAt - stoppedAt} ms after the stop, answered ${s.answeredAt - restartedAt} ms after the restart`;
    expect(lost.map(when).slice(0, 10)).toEqual([]);
    expect(duplicated.map((s) => s.id).slice(0, 10)).toEqual([]);
    expect(sent.filter((s) => s.status >= 500 && s.status !== 502 && s.status !== 503)).toEqual([]);
  });
});
