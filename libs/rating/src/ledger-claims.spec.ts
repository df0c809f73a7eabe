import { decimalFromNumber } from './decimal';
import { LedgerClaims } from './ledger-claims';
import type { UsageFact } from './usage-facts';

const fact = (customerId: string, key: string, meter: string, value = 1, tenantId = 'tn_1'): UsageFact => ({
  tenantId,
  customerId,
  key,
  meter,
  kind: 'counter',
  source: key.startsWith('revenium:') ? 'revenium' : 'revnu',
  occurredAt: 1_780_000_000_000,
  receivedAt: 1_780_000_000_000,
  value: decimalFromNumber(value),
});
const names = (facts: readonly UsageFact[]): string[] => facts.map((f) => `${f.customerId}/${f.key}/${f.meter}`);
/** One call of a run of its own: the readings that count, the rows stored, and the run's undo. */
const claim = (claims: LedgerClaims, facts: readonly UsageFact[]): { counted: UsageFact[]; stored: UsageFact[]; undo: () => void } => {
  const counted: UsageFact[] = [];
  const stored: UsageFact[] = [];
  const run = claims.run();
  run.claim(
    facts,
    (f) => counted.push(f),
    (f) => stored.push(f),
  );
  run.close();
  return { counted, stored, undo: () => run.undo() };
};

/** The ledger's claim statement's rule (UsageLedgerRepository.claim), decided in memory for a rebuild's bulk phase. */
describe('LedgerClaims: the ledger dedup rule in memory', () => {
  it('given an event id seen before for a meter, then that reading counts nothing; other meters and customers still count', () => {
    const claims = new LedgerClaims();
    const first = claim(claims, [fact('cus_1', 'event:e1', 'api_calls'), fact('cus_1', 'event:e2', 'api_calls')]);
    expect(names(first.counted)).toEqual(['cus_1/event:e1/api_calls', 'cus_1/event:e2/api_calls']);
    expect(names(first.stored)).toEqual(names(first.counted));

    const again = claim(claims, [fact('cus_1', 'event:e1', 'api_calls'), fact('cus_1', 'event:e1', 'storage'), fact('cus_2', 'event:e1', 'api_calls')]);
    expect(names(again.counted)).toEqual(['cus_1/event:e1/storage', 'cus_2/event:e1/api_calls']);
    expect(claims.size).toBe(4);
  });

  it('given a source key seen before under any meter, then a later event with it counts nothing, whatever its meters', () => {
    const claims = new LedgerClaims();
    const first = claim(claims, [fact('cus_1', 'revenium:txn-1', 'tokens'), fact('cus_1', 'revenium:txn-1', 'images')]);
    expect(names(first.counted)).toEqual(['cus_1/revenium:txn-1/tokens', 'cus_1/revenium:txn-1/images']);
    const retry = claim(claims, [fact('cus_1', 'revenium:txn-1', 'seconds'), fact('cus_1', 'revenium:txn-2', 'tokens')]);
    expect(names(retry.counted)).toEqual(['cus_1/revenium:txn-2/tokens']);
    // Another customer's key of the same name is another key.
    expect(names(claim(claims, [fact('cus_2', 'revenium:txn-1', 'tokens')]).counted)).toEqual(['cus_2/revenium:txn-1/tokens']);
  });

  it('given a meter repeated within one event, then it counts each time and is stored once, as the claim statement does', () => {
    const claims = new LedgerClaims();
    for (const key of ['event:e1', 'revenium:txn-1']) {
      const out = claim(claims, [fact('cus_1', key, 'tokens', 1), fact('cus_1', key, 'tokens', 2)]);
      expect(out.counted.map((f) => f.value)).toEqual([decimalFromNumber(1), decimalFromNumber(2)]);
      expect(names(out.stored)).toEqual([`cus_1/${key}/tokens`]);
    }
  });

  it('knows which customers have readings, and forgets what a rolled-back call registered', () => {
    const claims = new LedgerClaims();
    claim(claims, [fact('cus_1', 'event:e1', 'api_calls')]);
    const rolledBack = claim(claims, [fact('cus_2', 'event:e2', 'api_calls'), fact('cus_1', 'revenium:txn-1', 'tokens'), fact('cus_1', 'event:e1', 'api_calls')]);
    expect(names(rolledBack.counted)).toEqual(['cus_2/event:e2/api_calls', 'cus_1/revenium:txn-1/tokens']);
    expect(claims.hasReadings('tn_1', 'cus_2')).toBe(true);
    rolledBack.undo();
    expect(claims.hasReadings('tn_1', 'cus_2')).toBe(false);
    expect(claims.hasReadings('tn_1', 'cus_1')).toBe(true);
    expect(claims.size).toBe(1);
    // Applied again (the runner's retry), the same readings count again.
    expect(names(claim(claims, [fact('cus_2', 'event:e2', 'api_calls'), fact('cus_1', 'revenium:txn-1', 'tokens')]).counted)).toEqual([
      'cus_2/event:e2/api_calls',
      'cus_1/revenium:txn-1/tokens',
    ]);
  });

  it('given a run of calls undone as one, then all it claimed is forgotten, and nothing the runs before and after it claimed', () => {
    const claims = new LedgerClaims();
    const ignore = (): void => undefined;
    const before = claims.run();
    before.claim([fact('cus_1', 'event:e1', 'api_calls')], ignore, ignore);
    before.close();

    const run = claims.run();
    const counted: string[] = [];
    run.claim([fact('cus_2', 'event:e2', 'api_calls'), fact('cus_2', 'event:e2', 'storage')], (f) => counted.push(`${f.customerId}/${f.meter}`), ignore);
    run.claim([fact('cus_3', 'revenium:txn-9', 'tokens'), fact('cus_1', 'event:e1', 'api_calls')], (f) => counted.push(`${f.customerId}/${f.meter}`), ignore);
    run.close();
    expect(counted).toEqual(['cus_2/api_calls', 'cus_2/storage', 'cus_3/tokens']);

    const after = claims.run();
    after.claim([fact('cus_4', 'event:e4', 'api_calls')], ignore, ignore);
    after.close();
    expect(claims.size).toBe(5);

    run.undo();
    expect(claims.size).toBe(2);
    expect([claims.hasReadings('tn_1', 'cus_2'), claims.hasReadings('tn_1', 'cus_3')]).toEqual([false, false]);
    expect([claims.hasReadings('tn_1', 'cus_1'), claims.hasReadings('tn_1', 'cus_4')]).toEqual([true, true]);
    // Claimed again (the retry), they count again; what the other runs claimed still counts nothing.
    const retry = claim(claims, [fact('cus_2', 'event:e2', 'api_calls'), fact('cus_3', 'revenium:txn-9', 'tokens'), fact('cus_4', 'event:e4', 'api_calls')]);
    expect(names(retry.counted)).toEqual(['cus_2/event:e2/api_calls', 'cus_3/revenium:txn-9/tokens']);
  });

  it('given the rows a ledger already holds (a resumed rebuild), then their keys decide as if claimed', () => {
    const claims = new LedgerClaims();
    claims.add({ tenantId: 'tn_1', customerId: 'cus_1', key: 'revenium:txn-1', meter: 'tokens' });
    claims.add({ tenantId: 'tn_1', customerId: 'cus_1', key: 'event:e1', meter: 'api_calls' });
    const out = claim(claims, [fact('cus_1', 'revenium:txn-1', 'images'), fact('cus_1', 'event:e1', 'api_calls'), fact('cus_1', 'event:e1', 'storage')]);
    expect(names(out.counted)).toEqual(['cus_1/event:e1/storage']);
    expect(claims.hasReadings('tn_1', 'cus_1')).toBe(true);
    expect(claims.hasReadings('tn_2', 'cus_1')).toBe(false);
  });
});
