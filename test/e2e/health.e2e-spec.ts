import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@revstream/config';
import { isolatedStack, type IsolatedStack } from '@revstream/testing';
import { ApiConfig } from '../../apps/api/src/api.config';
import { createApiApp } from '../../apps/api/src/main';
import { GatewayConfig } from '../../apps/gateway/src/gateway.config';
import { createGatewayApp } from '../../apps/gateway/src/main';

describe('the gateway and the query API answer /health against the real broker and database', () => {
  let stack: IsolatedStack;
  let gateway: NestFastifyApplication;
  let api: NestFastifyApplication;

  beforeAll(async () => {
    stack = await isolatedStack('health');
    gateway = await createGatewayApp(loadConfig(GatewayConfig, stack.env));
    api = await createApiApp(loadConfig(ApiConfig, stack.env));
    await gateway.listen(0, '127.0.0.1');
    await api.listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    await gateway.close();
    await api.close();
    await stack.cleanup();
  });

  it('gateway: live, and ready because Kafka answers', async () => {
    const response = await fetch(`${await gateway.getUrl()}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok', live: true, ready: true, checks: { kafka: { status: 'up' } } });
  });

  it('query API: live, and ready because Postgres answers', async () => {
    const response = await fetch(`${await api.getUrl()}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok', ready: true, checks: { postgres: { status: 'up' } } });
  });

  it('serves Prometheus metrics', async () => {
    const response = await fetch(`${await gateway.getUrl()}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await response.text()).toMatch(/^revstream_process_cpu_user_seconds_total /m);
  });
});
