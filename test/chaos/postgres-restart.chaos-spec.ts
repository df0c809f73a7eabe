import type { EventPublisher } from '@revstream/kafka';
import { eventually, isolatedStack, type IsolatedStack, type PrivatePostgres, startPrivatePostgres } from '@revstream/testing';
import { meteringApp } from '../../apps/metering/src/metering.app';
import {
  appCaughtUp,
  appChecksums,
  appliedSoFar,
  CHAOS_SEED,
  chaosPublisher,
  cleanRun,
  differences,
  meteringWorkload,
  publishAll,
  report,
  spawnConsumerApp,
  stopApp,
} from './chaos-harness';

const EVENTS = 40_000;

/**
 * Postgres restarted under a projecting consumer: a private PostgreSQL 15 cluster (the shared server
 * is never restarted), the metering app as a child process against it. The server is restarted
 * (`pg_ctl restart -m fast`) and later stopped for 3 s, while the app projects; it must wait, resume,
 * and end with every table identical to a clean run on the same topics.
 */
describe('chaos: Postgres restarted during projection (private cluster, the metering app as a process)', () => {
  let pg: PrivatePostgres;
  let stack: IsolatedStack;
  let publisher: EventPublisher;

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    stack = await isolatedStack('chaos_pg_restart', { serverUrl: pg.url, partitions: 4 });
    publisher = chaosPublisher(stack);
  });
  afterAll(async () => {
    await publisher?.disconnect();
    await stack?.cleanup().catch(() => undefined);
    pg?.cleanup();
  });

  it('the consumer waits and resumes; nothing is lost or counted twice', async () => {
    const seed = CHAOS_SEED + 1;
    process.stdout.write(`[chaos] postgres restarted: seed ${seed}\n`);
    await publishAll(publisher, meteringWorkload(EVENTS, seed, 'pg'));
    const app = await spawnConsumerApp('metering', stack.env);
    const faults: string[] = [];
    try {
      const applied = (): Promise<number> => appliedSoFar(stack.databaseUrl, meteringApp);
      const first = await eventually(applied, (n) => n >= EVENTS * 0.2 || app.child.exitCode !== null, 300_000, 50);
      pg.restart();
      faults.push(`restart at ${first}`);
      const second = await eventually(applied, (n) => n >= EVENTS * 0.6 || app.child.exitCode !== null, 300_000, 50);
      pg.stop();
      await new Promise((r) => setTimeout(r, 3_000));
      pg.start();
      faults.push(`stop 3 s at ${second}`);
      expect(await eventually(() => appCaughtUp(stack, meteringApp, stack.databaseUrl), Boolean, 300_000, 500)).toBe(true);
      // It waited: the same process did all of it.
      expect({ exitCode: app.child.exitCode, stderr: app.child.exitCode === null ? '' : app.stderr() }).toEqual({ exitCode: null, stderr: '' });
      expect(first).toBeLessThan(EVENTS);
      expect(second).toBeLessThan(EVENTS);
    } finally {
      await stopApp(app);
    }
    const chaos = await appChecksums(stack.databaseUrl, meteringApp);
    const clean = await cleanRun(stack, meteringApp, publisher);
    expect(differences(chaos, clean)).toEqual([]);
    const ledger = (s: typeof chaos): number => s.find((t) => t.table === 'usage_ledger')!.rows;
    report('postgres restarted', {
      seed,
      events: EVENTS,
      faults: faults.join('; ').replace(/ /g, '_'),
      tables: chaos.length,
      ledgerRows: ledger(chaos),
      lost: Math.max(0, ledger(clean) - ledger(chaos)),
      duplicated: Math.max(0, ledger(chaos) - ledger(clean)),
    });
  });
});
