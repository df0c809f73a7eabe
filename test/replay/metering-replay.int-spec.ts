import { Client } from 'pg';
import type { Envelope } from '@revstream/events';
import { replayProjectionApp } from '@revstream/projections';
import { meteringApp } from '../../apps/metering/src/metering.app';
import { envelope, METERING_TABLES, product, reveniumMeter, revlintEvent, revnuUsage, valuedSubscription } from '../../apps/metering/src/testing/metering-fixtures';
import { expectIdenticalRebuild, liveThenReplay, logger, mixed, prng, replayStack, thirds, withRaw } from './determinism';

/** Issue 7: a rebuild of metering is byte-identical to what live processing built, on a mixed stream. */
describe('replay determinism: metering (real Kafka + Postgres)', () => {
  const env = replayStack('replay_metering');

  it('rebuilds the ledger, usage, charges, adjustments, prices and subscriptions exactly as live instances built them through two rebalances', async () => {
    const { stack, publisher } = env();
    const rand = prng(21);
    const events: Envelope[] = [];
    for (const tenantId of ['tn_ma', 'tn_mb', 'tn_mc']) {
      const t = { tenantId };
      events.push(
        product('prod_api', 'metered', 'api_calls', { unitAmount: 2 }, { ...t, occurredAt: '2026-04-20T00:00:00.000Z' }),
        product('prod_store', 'hybrid', 'storage', { unitAmount: 5, flatAmount: 700 }, { ...t, occurredAt: '2026-04-20T00:00:00.000Z' }),
        envelope(
          'valued.revenue',
          { category: 'revenue', price: { id: 'tokens', currency: 'USD', tiers_mode: 'volume', tiers: [{ up_to: 1000, unit_amount: 3 }, { up_to: 'inf', unit_amount: 2, flat_amount: 50 }] } },
          { ...t, occurredAt: '2026-04-21T00:00:00.000Z' },
        ),
      );
      for (let ci = 0; ci < 16; ci++) {
        const c = `cus_${ci}`;
        for (let i = 0; i < 30; i++) {
          const day = 1 + ((ci * 7 + i * 3) % 58);
          const at = new Date(Date.UTC(2026, 4, day, i % 24, ci % 60)).toISOString();
          // Some readings arrive long after their period closed (adjustments).
          const received = rand() < 0.08 ? new Date(Date.UTC(2026, 4, day + 45)).toISOString() : at;
          const kind = i % 4;
          if (kind === 0) events.push(revnuUsage(c, 1 + (i % 7), 'api_calls', { ...t, occurredAt: at, receivedAt: received }));
          else if (kind === 1) events.push(revnuUsage(c, 2, 'storage', { ...t, occurredAt: at, receivedAt: received }));
          // Repeated transactionIds, sometimes with other payload keys: only the first counts.
          else if (kind === 2) events.push(reveniumMeter(c, `txn-${c}-${i % 10}`, i % 5 === 0 ? { tokens: 70, images: 1 } : { tokens: 100 * (1 + (i % 5)), seconds: 1.5 }, { ...t, occurredAt: at, receivedAt: received }));
          else events.push(revlintEvent(c, 'API_LIMIT_USED', { usage: 1000 + i * ci, limit: 5000 }, { ...t, occurredAt: at, receivedAt: received }));
        }
        // Subscriptions (billing cycles), some changed later; mixed in anywhere, often after the usage they cycle.
        if (ci % 3 === 0) events.push(valuedSubscription(c, `sub_${c}`, `2026-05-${String(10 + (ci % 15)).padStart(2, '0')}T06:00:00.000Z`, ci % 2 ? 'week' : 'month', ci % 2 ? 2 : 1, t));
        if (ci % 6 === 0) events.push(valuedSubscription(c, `sub_${c}`, '2026-05-03T00:00:00.000Z', 'month', 1, { ...t, occurredAt: '2026-06-10T00:00:00.000Z' }));
      }
      // A price change of a meter that already has usage: everything re-rated.
      events.push(product('prod_api', 'metered', 'api_calls', { unitAmount: 3 }, { ...t, occurredAt: '2026-06-15T00:00:00.000Z' }));
    }
    const stream = mixed(events, { seed: 8, window: 200, duplicates: 0.04, late: 0.04 });
    // Poison: a Revnu value that is not a positive whole number, a Revenium payload that is no object.
    stream.splice(300, 0, revnuUsage('cus_1', -5, 'api_calls', { tenantId: 'tn_ma', eventId: 'poison-1', occurredAt: '2026-05-21T10:00:00.000Z' }));
    stream.splice(900, 0, envelope('revenium.meter', { transactionId: 'txn-bad', payload: [1, 2] as never, sourceId: 'src', subscriberCredential: 'cus_2', sourceType: 'SDK_JS' }, { tenantId: 'tn_mb', customerId: 'cus_2', eventId: 'poison-2' }));
    const entries = withRaw(stream, [
      { topic: stack.topics.raw('revnu'), key: 'tn_ma:cus_3', value: 'this is not json' },
      { topic: stack.topics.name('catalog'), key: 'tn_mc:', value: '{"tenantId":"tn_mc"}' },
    ]);

    expectIdenticalRebuild(await liveThenReplay(stack, publisher, meteringApp, thirds(entries)), {
      tables: [...METERING_TABLES, 'checkpoints', 'documents', 'processed_keys'],
      nonEmpty: ['usage_ledger', 'usage', 'charges', 'adjustments', 'meters', 'metering_elements', 'meter_prices', 'subscriptions'],
      // Two invalid bodies, a record that is no JSON, one that is no envelope.
      deadLetters: 4,
    });
  });
  /** Whether a schema's ledger has its primary key (the one dedup rule live processing relies on). */
  const ledgerHasKey = async (url: string, schema: string): Promise<boolean> => {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ found: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass($1) AND contype = 'p') AS found`,
        [`"${schema}".usage_ledger`],
      );
      return rows[0]!.found;
    } finally {
      await client.end();
    }
  };

  it('rebuilds in bulk (the ledger without its key, dedup in memory) and swaps in a ledger with its key back', async () => {
    const { stack } = env();
    // The first test swapped its rebuild in: built in bulk, then given its key again.
    expect(await ledgerHasKey(stack.databaseUrl, 'metering')).toBe(true);
  });

  it('rebuilds in bulk only as far as its budget allows, the rest the live way, and ends identical to live processing', async () => {
    const { stack, publisher } = env();
    const result = await replayProjectionApp({
      app: meteringApp, databaseUrl: stack.databaseUrl, kafka: stack.kafka, topics: stack.topics, publisher, logger, verify: true,
      bulkMaxRecords: 400, maxRecordsPerTransaction: 150,
    });
    expect(result.differences).toEqual([]);
    expect(result.compared.find((c) => c.table === 'usage_ledger')!.rows).toBeGreaterThan(400);
    expect(result.swapped).toBe(true);
    expect(await ledgerHasKey(stack.databaseUrl, 'metering')).toBe(true);
  });

  /** Replay options for this stack, and a first replay killed in its bulk phase (its shadow's ledger has no key). */
  const killedInBulkPhase = async () => {
    const { stack, publisher } = env();
    const base = { app: meteringApp, databaseUrl: stack.databaseUrl, kafka: stack.kafka, topics: stack.topics, publisher, logger, maxRecordsPerTransaction: 100 };
    const abort = new AbortController();
    await expect(
      replayProjectionApp({ ...base, swap: false, signal: abort.signal, onProgress: (p) => p.done >= 700 && abort.abort(new Error('killed in the bulk phase')) }),
    ).rejects.toThrow('killed in the bulk phase');
    expect(await ledgerHasKey(stack.databaseUrl, 'metering__rebuild')).toBe(false);
    return { stack, base };
  };

  it('resumes a bulk rebuild stopped halfway, keeping the readings it had claimed, and ends identical with the ledger key back', async () => {
    const { stack, base } = await killedInBulkPhase();
    const result = await replayProjectionApp({ ...base, verify: true });
    expect(result.resumed).toBe(true);
    expect(result.differences).toEqual([]);
    expect(result.swapped).toBe(true);
    expect(await ledgerHasKey(stack.databaseUrl, 'metering')).toBe(true);
  });

  it('finishes a bulk phase an earlier run left halfway even when the budget allows no more bulk, and ends identical', async () => {
    const { stack, base } = await killedInBulkPhase();

    // The shadow already holds more than this budget: the rest goes the live way, on a ledger with its key again.
    const result = await replayProjectionApp({ ...base, verify: true, bulkMaxRecords: 500 });
    expect(result.resumed).toBe(true);
    expect(result.differences).toEqual([]);
    expect(result.swapped).toBe(true);
    expect(await ledgerHasKey(stack.databaseUrl, 'metering')).toBe(true);
  });
});
