import fc from 'fast-check';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { type RawSource, RAW_SOURCES } from '@revstream/events';
import type { EventPublisher } from '@revstream/kafka';
import type { CreatedTenant } from '@revstream/tenancy';
import { TenancyRepository } from '@revstream/tenancy';
import { isolatedStack, type IsolatedStack, topicSize } from '@revstream/testing';
import { registerProduct } from '../../apps/cli/src/commands/register-product.use-case';
import { bootGateway } from '../../apps/gateway/src/testing/gateway-harness';
import { CHAOS_SEED, chaosPublisher, report } from './chaos-harness';

/**
 * At least 10,000 generated bad requests (fast-check, fixed seed) across every ingest endpoint of the
 * five APIs, through the real gateway (Fastify inject: the whole HTTP stack, the real publisher and
 * broker). Each request is a valid body with one fault that makes it invalid: a required field
 * missing, a wrong type, a huge or negative or fractional number, NaN/Infinity, unicode where a code
 * is expected, a `__proto__` key, deep nesting, an oversized body, malformed JSON, a wrong content
 * type, a wrong token. Expected: zero 5xx, every answer a 4xx with a message in the endpoint's
 * format, and the topics' end offsets unchanged (nothing of a refused request published).
 */

const RUNS = 10_200;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Body = { [k: string]: Json };

interface Endpoint {
  name: string;
  method: 'POST' | 'GET';
  path: string;
  /** A body the endpoint accepts (POST), or the query (GET). */
  valid: () => Body;
  /** Fields whose every wrong value is refused: path in the body, required or not, and the kind of value expected. */
  strict: ReadonlyArray<{ path: string[]; required: boolean; kind: 'int+' | 'number' | 'number+' | 'string' | 'code' | 'date' | 'object' | 'array' }>;
  auth: (t: CreatedTenant) => Record<string, string>;
}

const ENDPOINTS = (productId: string): Endpoint[] => [
  {
    name: 'revlint',
    method: 'POST',
    path: '/api/v1/events/product',
    valid: () => ({ events: [{ externalUserId: 'u_1', stripeCustomerId: 'cus_1', type: 'PREMIUM_FEATURE_USED', occurredAt: '2026-05-29T15:00:00.000Z', properties: { usage: 5, limit: 10 } }] }),
    strict: [
      { path: ['events'], required: true, kind: 'array' },
      { path: ['events', '0', 'type'], required: true, kind: 'string' },
      { path: ['events', '0', 'occurredAt'], required: true, kind: 'date' },
    ],
    auth: (t) => ({ authorization: `Bearer ${t.tokens.ingest}` }),
  },
  {
    name: 'pulsora',
    method: 'POST',
    path: '/api/ingest',
    valid: () => ({
      type: 'revenue',
      data: { visitor_fingerprint: 'fp_1', session_id: 's_1', customer_id: 'cus_1', amount: 10, transaction_id: 'tx_1', currency: 'USD', event_type: 'purchase' },
    }),
    strict: [
      { path: ['type'], required: true, kind: 'code' },
      { path: ['data'], required: true, kind: 'object' },
      { path: ['data', 'amount'], required: true, kind: 'number+' },
      { path: ['data', 'transaction_id'], required: true, kind: 'string' },
      { path: ['data', 'currency'], required: false, kind: 'code' },
    ],
    auth: (t) => ({ 'x-api-token': t.tokens.secret }),
  },
  {
    name: 'revnu usage',
    method: 'POST',
    path: '/api/v1/usage',
    valid: () => ({ productId, stripeCustomerId: 'cus_1', value: 150 }),
    strict: [
      { path: ['productId'], required: true, kind: 'string' },
      { path: ['stripeCustomerId'], required: true, kind: 'string' },
      { path: ['value'], required: true, kind: 'int+' },
    ],
    auth: (t) => ({ authorization: `Bearer ${t.tokens.ingest}` }),
  },
  {
    name: 'revnu access',
    method: 'GET',
    path: '/api/v1/access',
    valid: () => ({ email: 'someone@example.com' }),
    strict: [{ path: ['email'], required: true, kind: 'string' }],
    auth: (t) => ({ authorization: `Bearer ${t.tokens.ingest}` }),
  },
  {
    name: 'valued',
    method: 'POST',
    path: '/events',
    valid: () => ({ category: 'revenue', customer: { id: 'c-1', name: 'Pat' }, subscription: { source_key: 'sub-1', status: 'active', currency: 'USD' } }),
    strict: [
      { path: ['category'], required: true, kind: 'code' },
      { path: ['subscription', 'status'], required: true, kind: 'code' },
      { path: ['subscription', 'currency'], required: true, kind: 'code' },
    ],
    auth: (t) => ({ authorization: `Bearer ${t.tokens.ingest}` }),
  },
  {
    name: 'revenium',
    method: 'POST',
    path: '/meter/v2/events',
    valid: () => ({ transactionId: 'tx-1', payload: { apiCalls: 1250, storageGB: 15.5 }, subscriberCredential: 'cus_1', sourceType: 'SDK_JS' }),
    strict: [
      { path: ['transactionId'], required: true, kind: 'string' },
      { path: ['payload'], required: true, kind: 'object' },
      { path: ['payload', 'apiCalls'], required: false, kind: 'number' },
      { path: ['sourceType'], required: false, kind: 'code' },
    ],
    auth: (t) => ({ 'x-api-key': t.tokens.ingest }),
  },
];

/** A request as sent: the raw body text (so it can be malformed), its content type and headers. */
interface BadRequest {
  endpoint: number;
  fault: string;
  body: string;
  contentType: string;
  /** Replaces the valid token, or removes it (null). */
  token?: string | null;
  /** GET: the query string. */
  query?: string;
  /** Oversized: a string field of this many characters is added when the request is sent (not kept in memory). */
  padTo?: number;
}

const deep = (depth: number, leaf: Json, asArray: boolean): Json => {
  let v: Json = leaf;
  for (let i = 0; i < depth; i++) v = asArray ? [v] : { a: v };
  return v;
};

const setAt = (body: Body, path: readonly string[], value: Json | undefined): Body => {
  const copy = structuredClone(body);
  let at: Record<string, Json> | Json[] = copy;
  for (const key of path.slice(0, -1)) at = (at as Record<string, Json>)[key] as Record<string, Json>;
  const last = path[path.length - 1]!;
  if (value === undefined) delete (at as Record<string, Json>)[last];
  else (at as Record<string, Json>)[last] = value;
  return copy;
};

/** A value of the wrong kind for the field, each a fault the issue names. */
function wrongValue(kind: Endpoint['strict'][number]['kind']): fc.Arbitrary<{ fault: string; value: Json; raw?: string }> {
  const unicode = fc.string({ unit: 'binary', minLength: 1, maxLength: 40 });
  const notString = fc.oneof(
    fc.integer().map((n) => ({ fault: 'wrong type: number', value: n as Json })),
    fc.boolean().map((b) => ({ fault: 'wrong type: boolean', value: b as Json })),
    fc.array(fc.integer(), { maxLength: 3 }).map((a) => ({ fault: 'wrong type: array', value: a as Json })),
    fc.constant({ fault: 'wrong type: object', value: { nested: 'x' } as Json }),
  );
  const notNumber = fc.oneof(
    unicode.map((s) => ({ fault: 'wrong type: unicode string', value: s as Json })),
    fc.boolean().map((b) => ({ fault: 'wrong type: boolean', value: b as Json })),
    fc.constant({ fault: 'wrong type: object', value: { n: 1 } as Json }),
    fc.constant({ fault: 'wrong type: array', value: [1] as Json }),
  );
  const nonFinite = fc.constantFrom(
    { fault: 'NaN', value: 0 as Json, raw: 'NaN' },
    { fault: 'Infinity', value: 0 as Json, raw: 'Infinity' },
    { fault: 'huge number (1e400)', value: 0 as Json, raw: '1e400' },
    { fault: 'huge number (-1e400)', value: 0 as Json, raw: '-1e400' },
  );
  const nested = fc.integer({ min: 50, max: 4_000 }).chain((d) => fc.boolean().map((arr) => ({ fault: `deep nesting (${d})`, value: deep(d, 1, arr) })));
  const protoKey = fc.constant({ fault: '__proto__ key', value: 0 as Json, raw: '{"__proto__":{"polluted":true}}' });
  switch (kind) {
    case 'int+':
      return fc.oneof(
        notNumber,
        nonFinite,
        nested,
        protoKey,
        fc.integer({ max: 0 }).map((n) => ({ fault: 'negative or zero', value: n as Json })),
        fc.double({ min: 0.001, max: 1e6, noNaN: true }).filter((x) => !Number.isInteger(x)).map((x) => ({ fault: 'fractional', value: x as Json })),
        fc.constantFrom(2 ** 53, 1e21, Number.MAX_VALUE).map((x) => ({ fault: 'huge number', value: x as Json })),
      );
    case 'number+':
      return fc.oneof(
        notNumber,
        nonFinite,
        nested,
        protoKey,
        fc.double({ max: -0.01, noNaN: true, noDefaultInfinity: true }).map((x) => ({ fault: 'negative', value: x as Json })),
        fc.constantFrom(1e21, Number.MAX_VALUE).map((x) => ({ fault: 'huge number', value: x as Json })),
      );
    case 'number':
      return fc.oneof(notNumber, nonFinite, nested, protoKey);
    case 'string':
      return fc.oneof(notString, nested, protoKey, fc.constant({ fault: 'empty string', value: '' as Json }));
    case 'code':
      return fc.oneof(notString, nested, protoKey, unicode.filter((s) => !/^[A-Za-z_]+$/.test(s)).map((s) => ({ fault: 'unicode instead of a code', value: s as Json })));
    case 'date':
      return fc.oneof(notString, nested, protoKey, unicode.map((s) => ({ fault: 'unicode instead of a date', value: s as Json })), fc.constant({ fault: 'date without zone', value: '2026-05-29' as Json }));
    case 'object':
      return fc.oneof(
        fc.constant({ fault: 'wrong type: string', value: 'x' as Json }),
        fc.constant({ fault: 'wrong type: array', value: [] as Json }),
        fc.integer().map((n) => ({ fault: 'wrong type: number', value: n as Json })),
        protoKey,
      );
    case 'array':
      return fc.oneof(
        fc.constant({ fault: 'wrong type: object', value: {} as Json }),
        fc.constant({ fault: 'empty array', value: [] as Json }),
        unicode.map((s) => ({ fault: 'wrong type: unicode string', value: s as Json })),
        nested,
        protoKey,
      );
  }
}

const MARK = '"__chaos_raw__"';

function badRequest(endpoints: readonly Endpoint[]): fc.Arbitrary<BadRequest> {
  return fc.integer({ min: 0, max: endpoints.length - 1 }).chain((index) => {
    const e = endpoints[index]!;
    const encode = (body: Body): string => (e.method === 'GET' ? '' : JSON.stringify(body));
    const query = (body: Body): string | undefined => (e.method === 'GET' ? new URLSearchParams(Object.entries(body).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])).toString() : undefined);
    const field = fc.constantFrom(...e.strict);
    const wrong = field.chain((f) =>
      wrongValue(f.kind).map(({ fault, value, raw }) => {
        const body = setAt(e.valid(), f.path, raw !== undefined ? '__chaos_raw__' : value);
        const text = raw !== undefined ? encode(body).replace(MARK, raw) : encode(body);
        if (e.method === 'GET') {
          // A query carries text only: a wrong value is its text form, the raw one as sent.
          const v = raw ?? (typeof value === 'string' ? value : JSON.stringify(value).slice(0, 2_000));
          return { endpoint: index, fault: `${f.path.join('.')}: ${fault}`, body: '', contentType: 'application/json', query: new URLSearchParams({ email: v }).toString() };
        }
        return { endpoint: index, fault: `${f.path.join('.')}: ${fault}`, body: text, contentType: 'application/json' };
      }),
    );
    const missing = fc.constantFrom(...e.strict.filter((f) => f.required)).map((f) => {
      const body = setAt(e.valid(), f.path, undefined);
      return { endpoint: index, fault: `${f.path.join('.')}: missing`, body: encode(body), contentType: 'application/json', query: query(body) };
    });
    const topLevelProto = fc.constant({ endpoint: index, fault: '__proto__ key at the top', body: encode(e.valid()).replace(/^\{/, '{"__proto__":{"isAdmin":true},'), contentType: 'application/json' });
    const constructorProto = fc.constant({ endpoint: index, fault: 'constructor.prototype key', body: encode(e.valid()).replace(/^\{/, '{"constructor":{"prototype":{"isAdmin":true}},'), contentType: 'application/json' });
    const oversized = fc.integer({ min: 1024 * 1024 + 1, max: 1024 * 1024 + 200_000 }).map((size) => ({
      endpoint: index,
      fault: 'oversized body',
      body: encode(e.valid()),
      contentType: 'application/json',
      padTo: size,
    }));
    const malformed = fc.integer({ min: 1, max: 30 }).map((cut) => ({ endpoint: index, fault: 'malformed JSON (truncated)', body: encode(e.valid()).slice(0, -cut), contentType: 'application/json' }));
    const contentType = fc.constantFrom('application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x').map((ct) => ({
      endpoint: index,
      fault: `content type ${ct}`,
      body: ct === 'application/xml' ? '<event/>' : 'a=1',
      contentType: ct,
    }));
    const token = fc.oneof(
      fc.constant({ endpoint: index, fault: 'no token', body: encode(e.valid()), contentType: 'application/json', token: null, query: query(e.valid()) }),
      fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 60 }).map((t) => ({ endpoint: index, fault: 'unknown token', body: encode(e.valid()), contentType: 'application/json', token: `rsi_${t.replace(/[^\x21-\x7e]/g, 'x')}`, query: query(e.valid()) })),
    );
    const post = fc.oneof(
      { weight: 10, arbitrary: wrong },
      { weight: 3, arbitrary: missing },
      { weight: 1, arbitrary: topLevelProto },
      { weight: 1, arbitrary: constructorProto },
      { weight: 1, arbitrary: oversized },
      { weight: 2, arbitrary: malformed },
      { weight: 1, arbitrary: contentType },
      { weight: 2, arbitrary: token },
    );
    return e.method === 'GET' ? fc.oneof({ weight: 5, arbitrary: wrong }, { weight: 1, arbitrary: missing }, { weight: 1, arbitrary: token }) : post;
  });
}

/** The message of a refusal, in each API's format (docs/gateway.md, error bodies). */
const messageOf = (body: unknown): string => {
  if (typeof body !== 'object' || body === null) return '';
  const b = body as { error?: unknown; message?: unknown };
  const m = typeof b.error === 'string' ? b.error : typeof b.message === 'string' ? b.message : '';
  return m.trim();
};

describe('chaos: 10,000 generated bad requests across every ingest endpoint (real gateway, real broker)', () => {
  let stack: IsolatedStack;
  let publisher: EventPublisher;
  let app: NestFastifyApplication;
  let tenant: CreatedTenant;

  beforeAll(async () => {
    stack = await isolatedStack('chaos_bad_input');
    publisher = chaosPublisher(stack);
    ({ app } = await bootGateway(stack, { REVNU_RATE_LIMIT_PER_MINUTE: '1000000', LOG_LEVEL: 'silent' }));
    const repo = app.get(TenancyRepository);
    tenant = await repo.createTenant('bad input');
    await registerProduct(repo, publisher, tenant.tenantId, { productId: 'prod_api', model: 'metered', eventName: 'api_calls', currency: 'USD', unitAmount: 2, flatAmount: null });
  });
  afterAll(async () => {
    await app?.close();
    await publisher.disconnect();
    await stack.cleanup();
  });

  const sizes = async (): Promise<Record<string, number>> =>
    Object.fromEntries(await Promise.all(RAW_SOURCES.map(async (s: RawSource) => [s, await topicSize(stack.kafka, stack.topics.raw(s))] as const)));

  it('answers every one with a 4xx carrying a message, never a 5xx, and publishes nothing', async () => {
    const endpoints = ENDPOINTS('prod_api');
    const seed = CHAOS_SEED;
    process.stdout.write(`[chaos] bad input: seed ${seed} (CHAOS_SEED=${seed} reproduces it)\n`);
    const sampling = Date.now();
    const requests = fc.sample(badRequest(endpoints), { seed, numRuns: RUNS });
    const sampledIn = Date.now() - sampling;
    // Let the tenant directory see the new tenant (it polls every second) before counting.
    const probe = endpoints[2]!;
    for (let i = 0; i < 100; i++) {
      const r = await app.inject({ method: 'POST', url: probe.path, headers: { 'content-type': 'application/json', ...probe.auth(tenant) }, payload: '{}' });
      if (r.statusCode !== 401) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    const before = await sizes();

    const sending = Date.now();
    const byStatus = new Map<number, number>();
    const byEndpoint = new Map<string, number>();
    const failures: Array<{ endpoint: string; fault: string; status: number; body: string }> = [];
    const slowest = new Map<string, { n: number; ms: number }>();
    // Eight requests in flight: an unknown token waits for the tenant directory's shared refresh on a
    // miss (at most one every 250 ms), which concurrent requests share, as a real flood would.
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < requests.length) {
        await sendOne(requests[next++]!);
      }
    };
    const sendOne = async (req: BadRequest): Promise<void> => {
      const t0 = Date.now();
      const e = endpoints[req.endpoint]!;
      const auth = e.auth(tenant);
      const headers: Record<string, string> = { 'content-type': req.contentType };
      if (req.token !== null) Object.assign(headers, auth);
      if (typeof req.token === 'string') for (const k of Object.keys(auth)) headers[k] = k === 'authorization' ? `Bearer ${req.token}` : req.token;
      const response = await app.inject({
        method: e.method,
        url: req.query !== undefined ? `${e.path}?${req.query}` : e.path,
        headers,
        ...(e.method === 'POST' ? { payload: req.padTo ? req.body.replace(/^\{/, `{"note":"${'x'.repeat(req.padTo)}",`) : req.body } : {}),
      });
      const kind = `${e.name}|${req.fault.replace(/\d+/g, 'N')}`;
      slowest.set(kind, { n: (slowest.get(kind)?.n ?? 0) + 1, ms: (slowest.get(kind)?.ms ?? 0) + Date.now() - t0 });
      byStatus.set(response.statusCode, (byStatus.get(response.statusCode) ?? 0) + 1);
      byEndpoint.set(e.name, (byEndpoint.get(e.name) ?? 0) + 1);
      let body: unknown = response.body;
      try {
        body = JSON.parse(response.body);
      } catch {
        // not JSON: the message check below fails and shows it
      }
      const refusedWithMessage = response.statusCode >= 400 && response.statusCode < 500 && messageOf(body).length > 0;
      if (!refusedWithMessage) failures.push({ endpoint: e.name, fault: req.fault, status: response.statusCode, body: response.body.slice(0, 300) });
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    const after = await sizes();
    process.stdout.write(`[chaos] bad input, slowest kinds (total ms / count): ${[...slowest].sort(([, a], [, b]) => b.ms - a.ms).slice(0, 6).map(([k, v]) => `${k} ${v.ms}/${v.n}`).join('; ')}\n`);
    report('bad input', {
      sampledMs: sampledIn,
      sentMs: Date.now() - sending,
      seed,
      requests: requests.length,
      endpoints: [...byEndpoint].map(([k, v]) => `${k.replace(' ', '_')}:${v}`).join(','),
      statuses: [...byStatus].sort(([a], [b]) => a - b).map(([k, v]) => `${k}:${v}`).join(','),
      published: Object.values(after).reduce((a, b) => a + b, 0) - Object.values(before).reduce((a, b) => a + b, 0),
    });
    expect(requests.length).toBeGreaterThanOrEqual(10_000);
    // One line per kind of failure (endpoint, fault, status), with a count and an example.
    const kinds = new Map<string, { count: number; example: string }>();
    for (const f of failures) {
      const k = `${f.endpoint} | ${f.fault.replace(/\d+/g, 'N')} | ${f.status}`;
      kinds.set(k, { count: (kinds.get(k)?.count ?? 0) + 1, example: kinds.get(k)?.example ?? f.body });
    }
    expect([...kinds].map(([k, v]) => `${k} x${v.count}: ${v.example}`)).toEqual([]);
    expect([...byStatus.keys()].filter((s) => s >= 500)).toEqual([]);
    expect(after).toEqual(before);
    expect(byEndpoint.size).toBe(endpoints.length);
  });
});
