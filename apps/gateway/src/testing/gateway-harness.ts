import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@revstream/config';
import { decodeEnvelope, type DomainEvent, type RawSource } from '@revstream/events';
import { TenancyRepository, type CreatedTenant } from '@revstream/tenancy';
import { freePort, isolatedStack, type IsolatedStack, readTopic, topicSize } from '@revstream/testing';
import { GatewayConfig } from '../gateway.config';
import { createGatewayApp } from '../main';

/** What e2e tests of the gateway share: a real broker and database of their own, a booted gateway, a tenant. */
export interface GatewayHarness {
  stack: IsolatedStack;
  app: NestFastifyApplication;
  url: string;
  repo: TenancyRepository;
  tenant: CreatedTenant;
  /** Sends a request; the body is JSON-encoded unless it is a string. */
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<HttpResult>;
  /** Reads `count` records of a source's raw topic, decoded. */
  read(source: RawSource, count: number): Promise<DomainEvent[]>;
  /** The raw JSON values of a topic's records. */
  readRaw(source: RawSource, count: number): Promise<string[]>;
  /** Every record on a source's raw topic so far (acknowledged before the response), decoded, with its raw value. */
  readAll(source: RawSource): Promise<Array<{ event: DomainEvent; raw: string; key: string | null }>>;
  topicSize(source: RawSource): Promise<number>;
  close(): Promise<void>;
}

export interface HttpResult {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

export async function send(url: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult> {
  const init: RequestInit = { method, headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers } };
  if (body !== undefined) init.body = typeof body === 'string' || body instanceof Uint8Array ? (body as string) : JSON.stringify(body);
  const response = await fetch(`${url}${path}`, init);
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

export async function bootGateway(stack: IsolatedStack, env: Record<string, string> = {}): Promise<{ app: NestFastifyApplication; url: string }> {
  const app = await createGatewayApp(loadConfig(GatewayConfig, { ...stack.env, ...env }));
  await app.listen(0, '127.0.0.1');
  return { app, url: await app.getUrl() };
}

/** A local port where nothing listens (bound, then released). */
export const deadPort = freePort;

/** The settings of a gateway whose Kafka does not answer: nothing listens on its broker port, and it gives up after 1 s. */
export async function kafkaDownEnv(): Promise<Record<string, string>> {
  return { KAFKA_BROKERS: `127.0.0.1:${await deadPort()}`, KAFKA_PUBLISH_TIMEOUT_MS: '1000', LOG_LEVEL: 'silent' };
}

/**
 * A second gateway on the harness's stack (same database and topics, other settings) for the
 * enclosing describe block: booted before its tests, closed after. Returns its base URL.
 */
export function sideGateway(harness: () => GatewayHarness, env: () => Promise<Record<string, string>> | Record<string, string>): () => string {
  let app: NestFastifyApplication | undefined;
  let url = '';
  beforeAll(async () => {
    ({ app, url } = await bootGateway(harness().stack, await env()));
  });
  afterAll(async () => app?.close());
  return () => url;
}

/**
 * The Kafka-down contract of every endpoint: the request is refused with `status` (503, Revnu 502)
 * and Retry-After, never a 2xx, and nothing reaches the source's topic.
 */
export async function expectRefusedWhileKafkaIsDown(
  h: GatewayHarness,
  downUrl: string,
  request: { source: RawSource; path: string; body: unknown; headers: Record<string, string>; status?: number },
): Promise<HttpResult> {
  const before = await h.topicSize(request.source);
  const response = await send(downUrl, 'POST', request.path, request.body, request.headers);
  expect(response.status).toBe(request.status ?? 503);
  expect(response.headers.get('retry-after')).toBe('5');
  expect(await h.topicSize(request.source)).toBe(before);
  return response;
}

export async function startGatewayHarness(label: string, env: Record<string, string> = {}): Promise<GatewayHarness> {
  const stack = await isolatedStack(label);
  const { app, url } = await bootGateway(stack, env);
  const repo = app.get(TenancyRepository);
  const tenant = await repo.createTenant(`${label} tenant`);
  return {
    stack,
    app,
    url,
    repo,
    tenant,
    request: (method, path, body, headers) => send(url, method, path, body, headers),
    read: async (source, count) => (await readTopic(stack.kafka, stack.topics.raw(source), count)).map((r) => decodeEnvelope(r.value)),
    readRaw: async (source, count) => (await readTopic(stack.kafka, stack.topics.raw(source), count)).map((r) => r.value ?? ''),
    readAll: async (source) => {
      const size = await topicSize(stack.kafka, stack.topics.raw(source));
      if (size === 0) return [];
      const records = await readTopic(stack.kafka, stack.topics.raw(source), size);
      return records.map((r) => ({ event: decodeEnvelope(r.value), raw: r.value ?? '', key: r.key }));
    },
    topicSize: (source) => topicSize(stack.kafka, stack.topics.raw(source)),
    close: async () => {
      await app.close();
      await stack.cleanup();
    },
  };
}
