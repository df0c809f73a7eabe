import { revlintEventId } from './ingest-revlint.use-case';

describe('Revenue Linter event ids', () => {
  const event = { externalUserId: 'u', stripeCustomerId: 'cus', type: 'T', occurredAt: '2026-05-29T15:00:00.000Z', properties: { a: 1, b: 2 } };
  it('are deterministic UUIDs of the tenant and the canonical event (key order does not matter)', () => {
    const id = revlintEventId('t1', event);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(revlintEventId('t1', { properties: { b: 2, a: 1 }, occurredAt: event.occurredAt, type: 'T', stripeCustomerId: 'cus', externalUserId: 'u' })).toBe(id);
  });
  it('differ across tenants and across any field', () => {
    const id = revlintEventId('t1', event);
    expect(revlintEventId('t2', event)).not.toBe(id);
    expect(revlintEventId('t1', { ...event, occurredAt: '2026-05-29T15:00:00.001Z' })).not.toBe(id);
    expect(revlintEventId('t1', { ...event, properties: { a: 1, b: 3 } })).not.toBe(id);
  });
});
