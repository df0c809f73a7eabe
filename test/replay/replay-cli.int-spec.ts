import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import type { Envelope } from '@revstream/events';
import { EventPublisher } from '@revstream/kafka';
import { createSchemaDataSource, runMigrations } from '@revstream/persistence';
import { ProjectionRunner, swapLockKey } from '@revstream/projections';
import { eventually, isolatedStack, type IsolatedStack } from '@revstream/testing';
import { meteringApp } from '../../apps/metering/src/metering.app';
import { reveniumMeter, revlintEvent, revnuUsage, valuedSubscription } from '../../apps/metering/src/testing/metering-fixtures';
import { caughtUp, logger, prng } from './determinism';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'apps', 'cli', 'src', 'main.js');

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Usage for a few hundred customers: enough records that a rebuild in small transactions takes a while. */
function usageStream(count: number): Envelope[] {
  const rand = prng(17);
  const out: Envelope[] = [];
  for (let i = 0; i < count; i++) {
    const tenantId = ['tn_cli_a', 'tn_cli_b', 'tn_cli_c'][i % 3]!;
    const customer = `cus_${Math.floor(rand() * 300)}`;
    const at = new Date(Date.UTC(2026, 4, 1) + Math.floor(rand() * 60 * 86_400_000)).toISOString();
    const roll = rand();
    if (roll < 0.8) out.push(revnuUsage(customer, 1 + Math.floor(rand() * 50), rand() < 0.5 ? 'api_calls' : 'emails', { tenantId, occurredAt: at }));
    else if (roll < 0.95) out.push(reveniumMeter(customer, `txn-${i % 5000}`, { tokens: 1 + Math.floor(rand() * 900) }, { tenantId, occurredAt: at }));
    else out.push(revlintEvent(customer, 'API_LIMIT_USED', { usage: Math.floor(rand() * 1000), limit: 1000 }, { tenantId, occurredAt: at }));
  }
  for (let c = 0; c < 300; c += 7) out.push(valuedSubscription(`cus_${c}`, `sub_${c}`, '2026-05-04T00:00:00.000Z', 'month', 1, { tenantId: 'tn_cli_a' }));
  return out;
}

/** `npm run cli -- replay …` as an operator runs it: the built CLI, in a process of its own, not on a terminal. */
describe('replay CLI: the real command against a stack with data (real Kafka + Postgres)', () => {
  let stack: IsolatedStack;
  let publisher: EventPublisher;
  let liveDs: DataSource;
  let live: ProjectionRunner;

  const cli = (args: string[], onStart?: (child: ChildProcess) => void): Promise<Run> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...stack.env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
      onStart?.(child);
    });
  const schemas = async (): Promise<string[]> =>
    ((await liveDs.query(`SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'metering%' ORDER BY 1`)) as Array<{ schema_name: string }>).map((r) => r.schema_name);
  const rebuildApplied = async (): Promise<number> => {
    const [{ exists }] = await liveDs.query(`SELECT to_regclass('metering__rebuild.checkpoints') IS NOT NULL AS exists`);
    if (!exists) return 0;
    return Number((await liveDs.query(`SELECT coalesce(sum("offset" + 1), 0)::int AS n FROM metering__rebuild.checkpoints`))[0].n);
  };
  const liveCaughtUp = async (): Promise<void> => {
    expect(await eventually(() => caughtUp(stack, meteringApp, liveDs), Boolean, 120_000)).toBe(true);
  };

  beforeAll(async () => {
    execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'ignore' });
    stack = await isolatedStack('replay_cli', { partitions: 4 });
    publisher = new EventPublisher(stack.kafka, stack.topics, { publishTimeoutMs: 10_000, maxRecordsPerRequest: 2_000, compression: 'none' });
    // The live metering consumer projects the log, and keeps running through every replay below.
    liveDs = createSchemaDataSource({ url: stack.databaseUrl, schema: 'metering', migrations: meteringApp.migrations });
    await runMigrations(liveDs, stack.databaseUrl);
    live = new ProjectionRunner({ kafka: stack.kafka, dataSource: liveDs, topics: stack.topics, handler: meteringApp.handlers[0]!, publisher, logger });
    await live.start();
    const stream = usageStream(12_000);
    for (let i = 0; i < stream.length; i += 2_000) await publisher.publish(stream.slice(i, i + 2_000));
    await liveCaughtUp();
  });
  afterAll(async () => {
    await live.stop();
    await liveDs.destroy();
    await publisher.disconnect();
    await stack.cleanup();
  });

  it('a replay killed halfway (SIGKILL) is resumed by the next one, which verifies every table against live and swaps it in', async () => {
    let killedAt = 0;
    const killed = await cli(['replay', 'metering', '--batch', '40', '--concurrency', '1'], (child) => {
      void eventually(rebuildApplied, (n) => n > 0, 60_000, 10).then((n) => {
        killedAt = n;
        child.kill('SIGKILL');
      });
    });
    expect(killed.signal).toBe('SIGKILL');
    expect(killedAt).toBeGreaterThan(0);
    expect(await rebuildApplied()).toBeLessThan(12_043);
    expect(await schemas()).toEqual(['metering', 'metering__rebuild']);

    const resumed = await cli(['replay', 'metering', '--verify']);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    const lines = resumed.stdout.split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^rebuild: \d+\/\d+ events \(\d+%\), \d+ events\/s, ETA \d+ s$/));
    expect(lines).toContainEqual(expect.stringMatching(/^verify: \d+\/\d+ events/));
    expect(lines).toContainEqual(expect.stringMatching(/^metering: rebuilt from \d+ records in [\d.]+ s \(\d+ records\/s\), resumed$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}usage_ledger +\d+ rows {2}md5 [0-9a-f]{32}$/));
    expect(lines).toContain('verify: every table is identical to the live one');
    expect(lines).toContain('metering: the rebuilt schema is live');
    expect(await schemas()).toEqual(['metering']);

    // The live consumer carries on, on the rebuilt schema.
    await publisher.publish(usageStream(300).slice(0, 300));
    await liveCaughtUp();
  });

  it('--verify keeps the live schema when a table differs, says which, and exits 2; the kept rebuild is resumed once they agree', async () => {
    const [row] = (await liveDs.query(`SELECT tenant_id, customer_id, meter, period_start FROM metering.usage ORDER BY 1, 2, 3, 4 LIMIT 1`)) as Array<Record<string, unknown>>;
    const tamper = (delta: number): Promise<unknown> =>
      liveDs.query(`UPDATE metering.usage SET event_count = event_count + $5 WHERE tenant_id = $1 AND customer_id = $2 AND meter = $3 AND period_start = $4`, [
        row!.tenant_id, row!.customer_id, row!.meter, row!.period_start, delta,
      ]);
    await tamper(1);
    const differs = await cli(['replay', 'metering', '--verify']);
    expect(differs.code).toBe(2);
    expect(differs.stdout).toMatch(/^verify: usage differs: live \d+ rows md5 [0-9a-f]{32}, rebuilt \d+ rows md5 [0-9a-f]{32}$/m);
    expect(differs.stdout).toContain('metering: not swapped; the live schema is unchanged and the rebuild is kept in metering__rebuild (--fresh starts over)');
    expect(await schemas()).toEqual(['metering', 'metering__rebuild']);

    await tamper(-1);
    const agrees = await cli(['replay', 'metering', '--verify']);
    expect(agrees.code).toBe(0);
    expect(agrees.stdout).toMatch(/, resumed$/m);
    expect(agrees.stdout).toContain('verify: every table is identical to the live one');
    expect(await schemas()).toEqual(['metering']);
  });

  it('on a terminal, shows a progress bar with the rate and the ETA', async () => {
    const command = [process.execPath, CLI, 'replay', 'metering', '--fresh'].map((a) => `'${a}'`).join(' ');
    const tty = await new Promise<Run>((resolve, reject) => {
      const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], { cwd: ROOT, env: { ...process.env, ...stack.env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr: '' }));
    });
    expect(tty.code).toBe(0);
    expect(tty.stdout).toMatch(/\x1b\[1Grebuild \|=+-*\| \d+\/\d+ events \| \d+ events\/s \| ETA \d+s/);
    expect(tty.stdout).toContain('metering: the rebuilt schema is live');
  });

  it('refuses to run beside another replay of the same app, and exits 1', async () => {
    const other = new Client({ connectionString: stack.databaseUrl });
    await other.connect();
    try {
      await other.query('SELECT pg_advisory_lock($1::bigint)', [swapLockKey('metering__replay')]);
      const refused = await cli(['replay', 'metering']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toBe('refusing to rebuild metering: another replay of it is running\n');
    } finally {
      await other.end();
    }
  });

  it('refuses a bulk budget that is not a whole number, says which option and why, and exits 1', async () => {
    const refused = await cli(['replay', 'metering', '--bulk-max', 'lots']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`option '--bulk-max <records>' argument 'lots' is invalid. must be a whole number (0 or more), got "lots"`);
    expect(await schemas()).toEqual(['metering']);
  });

  it('refuses a topic whose retention would make the rebuild incomplete, says so, and exits 1', async () => {
    const admin = stack.kafka.admin();
    await admin.connect();
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: stack.topics.raw('revenium'), configEntries: [{ name: 'retention.ms', value: '86400000' }] }] });
    await admin.disconnect();
    const { describeRetention } = await import('@revstream/kafka');
    expect((await eventually(() => describeRetention(stack.kafka, [stack.topics.raw('revenium')]), ([r]) => r!.retentionMs === '86400000'))[0]!.retentionMs).toBe('86400000');

    const refused = await cli(['replay', 'metering']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `refusing to rebuild metering: ${stack.topics.raw('revenium')} has retention.ms=86400000: records older than that are deleted, so a rebuild would be incomplete\n`,
    );
    expect(await schemas()).toEqual(['metering']);
  });
});
