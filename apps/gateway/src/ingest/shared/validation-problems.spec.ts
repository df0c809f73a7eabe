import 'reflect-metadata';
import { IngestError } from './ingest-error';
import { formatRefusal } from './ingest-error-format';
import { validateBody } from './validate-body';
import { RevlintBatchDto, revlintIdentityProblems } from '../revlint/revlint.dto';
import { PulsoraRevenueDataDto, pulsoraAmountProblems } from '../pulsora/pulsora.dto';

const event = (overrides: Record<string, unknown> = {}) => ({ externalUserId: 'u', stripeCustomerId: 'cus', type: 'T', occurredAt: '2026-05-29T15:00:00.000Z', properties: {}, ...overrides });

const refusal = (fn: () => unknown): IngestError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof IngestError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
};

describe('DTO validation: every problem, by path', () => {
  it('lists nested problems with array indices, in body order', () => {
    const error = refusal(() => validateBody(RevlintBatchDto, { events: [event(), event(), event(), event({ occurredAt: '2026-05-29' }), event({ type: 7, properties: [] })] }));
    expect(error.reason).toBe('invalid');
    expect(error.problems).toEqual([
      'events[3].occurredAt: must be an ISO-8601 date',
      'events[4].type: must be a non-empty string',
      'events[4].properties: must be a JSON object',
    ]);
  });

  it.each(['2026-05-29T15:00:00.000Z', '2026-05-29T15:00:00+00:00', '2026-05-29T17:00:00+02:00', '2026-05-29T15:00:00Z', '2026-05-29T15:00Z'])('accepts the instant %p', (occurredAt) =>
    expect(validateBody(RevlintBatchDto, { events: [event({ occurredAt })] }).events).toHaveLength(1),
  );
  it.each(['2026-05-29', '2026-05-29T15:00:00', 'yesterday', '2026-13-01T00:00:00Z', 1748530800])('refuses %p as occurredAt', (occurredAt) =>
    expect(refusal(() => validateBody(RevlintBatchDto, { events: [event({ occurredAt })] })).problems).toEqual(['events[0].occurredAt: must be an ISO-8601 date']),
  );

  it('runs cross-field checks once the shape is valid, and drops fields no DTO declares', () => {
    expect(refusal(() => validateBody(RevlintBatchDto, { events: [event({ externalUserId: null, stripeCustomerId: undefined })] }, { extraChecks: revlintIdentityProblems })).problems).toEqual([
      'events[0]: needs externalUserId or stripeCustomerId',
    ]);
    const dto = validateBody(RevlintBatchDto, { events: [event({ unknown: 1 })], extra: true });
    expect(JSON.parse(JSON.stringify(dto))).toEqual({ events: [event()] });
  });

  it('names paths under a root, and reports secrets before shape problems', () => {
    expect(refusal(() => validateBody(PulsoraRevenueDataDto, { amount: -1 }, { root: 'data', extraChecks: pulsoraAmountProblems })).problems).toEqual([
      'data.visitor_fingerprint: must be a non-empty string',
      'data.session_id: must be a non-empty string',
      'data.customer_id: must be a non-empty string',
      'data.transaction_id: must be a non-empty string',
    ]);
    const secret = refusal(() => validateBody(RevlintBatchDto, { events: [event({ type: '', properties: { cookie: 'sid=1' } })] }));
    expect(secret.reason).toBe('secret');
    expect(secret.problems).toEqual(['events[0].properties.cookie: secret-like field (cookie); do not send credentials', 'events[0].type: must be a non-empty string']);
  });
});

describe('refusals in each seed format', () => {
  const invalid = new IngestError('invalid', ['a: bad', 'b: worse']);
  it('Pulsora: 400 {message}, and its documented 401/403/429 bodies', () => {
    expect(formatRefusal('pulsora', invalid)).toEqual({ status: 400, body: { message: 'a: bad; b: worse' }, headers: {} });
    expect(formatRefusal('pulsora', new IngestError('unauthorized')).body).toEqual({ error: 'Invalid API token' });
    expect(formatRefusal('pulsora', new IngestError('forbidden'))).toEqual({ status: 403, body: { error: 'Revenue events require secret token' }, headers: {} });
    expect(formatRefusal('pulsora', new IngestError('rate_limited', [], 12.2))).toEqual({ status: 429, body: { error: 'Rate limited' }, headers: { 'retry-after': '13' } });
  });
  it('Revnu: 502 when Kafka cannot take the event; the others 503', () => {
    expect(formatRefusal('revnu', new IngestError('kafka_unavailable', [], 5))).toEqual({ status: 502, body: { error: 'Failed to report usage' }, headers: { 'retry-after': '5' } });
    expect(formatRefusal('valued', new IngestError('kafka_unavailable', [], 5)).status).toBe(503);
  });
  it('Revenue Linter, Valued, Revenium: {error, details}', () => {
    expect(formatRefusal('revlint', invalid)).toEqual({ status: 400, body: { error: 'Invalid request', details: ['a: bad', 'b: worse'] }, headers: {} });
    expect(formatRefusal('revenium', new IngestError('too_large')).status).toBe(413);
  });
});
