import type { TableChecksum } from '@revstream/persistence';
import { eventually } from '@revstream/testing';
import { meteringApp } from '../../apps/metering/src/metering.app';
import { prng } from '../replay/determinism';
import {
  appCaughtUp,
  appChecksums,
  appliedSoFar,
  type AppProcess,
  CHAOS_SEED,
  chaosStack,
  cleanRun,
  differences,
  kill9,
  meteringWorkload,
  publishAll,
  report,
  spawnConsumerApp,
  stopApp,
} from './chaos-harness';

const EVENTS = 100_000;

/** Rows of the per-event ledger: one per dedup key, so fewer is a lost event and more a double count. */
const counts = (sums: readonly TableChecksum[]): { ledger: number } => ({ ledger: sums.find((s) => s.table === 'usage_ledger')?.rows ?? -1 });

describe('chaos: the metering consumer SIGKILLed three times while it projects 100,000 events (real Kafka + Postgres)', () => {
  const env = chaosStack('chaos_killed');

  it('comes out identical to a clean run, table by table', async () => {
    const { stack, publisher } = env();
    const seed = CHAOS_SEED;
    process.stdout.write(`[chaos] consumer killed: seed ${seed} (CHAOS_SEED=${seed} reproduces it)\n`);
    const rand = prng(seed);
    await publishAll(publisher, meteringWorkload(EVENTS, seed));

    // Three kill points, at random shares of the log (between 5% and 90%), in order.
    const killAt = [0, 1, 2].map(() => Math.floor(EVENTS * (0.05 + rand() * 0.85))).sort((a, b) => a - b);
    const killedAt: number[] = [];
    let app: AppProcess = await spawnConsumerApp('metering', stack.env);
    try {
      for (const target of killAt) {
        const reached = await eventually(() => appliedSoFar(stack.databaseUrl, meteringApp), (n) => n >= target || app.child.exitCode !== null, 300_000, 25);
        expect(app.child.exitCode).toBeNull();
        await kill9(app);
        killedAt.push(reached);
        app = await spawnConsumerApp('metering', stack.env);
      }
      expect(await eventually(() => appCaughtUp(stack, meteringApp, stack.databaseUrl), Boolean, 300_000, 500)).toBe(true);
      if (app.child.exitCode !== null) throw new Error(`metering exited: ${app.stderr()}`);
    } finally {
      await stopApp(app);
    }
    // Each kill landed before the end of the log: the consumer really was mid-projection.
    expect(killedAt.every((n) => n > 0 && n < EVENTS)).toBe(true);

    const chaos = await appChecksums(stack.databaseUrl, meteringApp);
    const clean = await cleanRun(stack, meteringApp, publisher);
    expect(differences(chaos, clean)).toEqual([]);
    const lost = Math.max(0, counts(clean).ledger - counts(chaos).ledger);
    const duplicated = Math.max(0, counts(chaos).ledger - counts(clean).ledger);
    report('consumer killed', { seed, events: EVENTS, kills: killedAt.join('/'), tables: chaos.length, ledgerRows: counts(chaos).ledger, lost, duplicated });
    expect(clean.find((s) => s.table === 'usage')!.rows).toBeGreaterThan(0);
  });
});
