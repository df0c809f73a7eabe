import { eventually } from '@revstream/testing';
import { meteringApp } from '../../apps/metering/src/metering.app';
import {
  appCaughtUp,
  appChecksums,
  appliedByProcess,
  appliedSoFar,
  type AppProcess,
  CHAOS_SEED,
  chaosStack,
  cleanRun,
  differences,
  meteringWorkload,
  publishAll,
  report,
  spawnConsumerApp,
  stopApp,
} from './chaos-harness';

const EVENTS = 45_000;

/**
 * A rebalance mid-stream: the metering app runs as a process; a second instance joins its consumer
 * group while events arrive (the partitions are split), takes part, and leaves (SIGTERM) while events
 * still arrive (the first takes its partitions back). The tables must equal a clean run's.
 */
describe('chaos: a second consumer instance joins, then leaves, mid-stream (real Kafka + Postgres)', () => {
  const env = chaosStack('chaos_rebalance');

  it('gives tables identical to a clean run', async () => {
    const { stack, publisher } = env();
    const seed = CHAOS_SEED + 2;
    process.stdout.write(`[chaos] rebalance: seed ${seed}\n`);
    const events = meteringWorkload(EVENTS, seed, 'rb');
    const third = Math.floor(EVENTS / 4);
    const first = await spawnConsumerApp('metering', stack.env);
    let second: AppProcess | undefined;
    let joinedAt = 0;
    let leftAt = 0;
    let secondApplied = 0;
    try {
      await publishAll(publisher, events.slice(0, third), 1_000);
      joinedAt = await eventually(() => appliedSoFar(stack.databaseUrl, meteringApp), (n) => n > 0, 120_000, 50);
      second = await spawnConsumerApp('metering', stack.env);
      // The rest arrives a chunk at a time: while the group rebalances onto two members, while both
      // project, and after the second left (SIGTERM) and the first took its partitions back. Until the
      // second has applied records, the last quarter trickles in (the rebalance takes a few
      // heartbeats), so there is always something left for it to take.
      let at = third;
      while (at < events.length) {
        const trickle = leftAt === 0 && at >= 3 * third;
        const size = trickle ? 100 : 500;
        await publishAll(publisher, events.slice(at, at + size), size);
        at += size;
        if (leftAt === 0) {
          secondApplied = await appliedByProcess(second);
          if (secondApplied > 0 && at >= 2 * third) {
            leftAt = await appliedSoFar(stack.databaseUrl, meteringApp);
            await stopApp(second);
          } else if (trickle) {
            await new Promise((r) => setTimeout(r, 500));
          }
        } else {
          await new Promise((r) => setTimeout(r, 20));
        }
      }
      if (leftAt === 0) throw new Error(`the second instance applied nothing while ${EVENTS - third} events arrived: ${second.stderr()}`);
      expect(await eventually(() => appCaughtUp(stack, meteringApp, stack.databaseUrl), Boolean, 300_000, 500)).toBe(true);
      expect({ exitCode: first.child.exitCode }).toEqual({ exitCode: null });
      expect(await appliedByProcess(first)).toBeGreaterThan(0);
    } finally {
      if (second) await stopApp(second);
      await stopApp(first);
    }
    expect(secondApplied).toBeGreaterThan(0);
    expect(leftAt).toBeLessThan(EVENTS);

    const chaos = await appChecksums(stack.databaseUrl, meteringApp);
    const clean = await cleanRun(stack, meteringApp, publisher);
    expect(differences(chaos, clean)).toEqual([]);
    const ledger = (s: typeof chaos): number => s.find((t) => t.table === 'usage_ledger')!.rows;
    report('rebalance', {
      seed,
      events: EVENTS,
      joinedAt,
      leftAt,
      secondApplied,
      tables: chaos.length,
      ledgerRows: ledger(chaos),
      lost: Math.max(0, ledger(clean) - ledger(chaos)),
      duplicated: Math.max(0, ledger(chaos) - ledger(clean)),
    });
  });
});
