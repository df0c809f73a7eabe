import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KAFKA_VERSION,
  kafkaAnswers,
  localKafkaOptions,
  type LocalKafkaOptions,
  provisionKafkaRuntime,
  startLocalKafka,
  stopLocalKafka,
} from '../../../tools/kafka-local/local-kafka';

/**
 * Private services for tests that stop or restart one (the chaos suite): a Kafka broker and a
 * PostgreSQL cluster of the test's own, on free ports, with their data under /tmp. The shared broker
 * and server are never touched.
 */

/** A free local TCP port (bound, then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface PrivateKafka {
  brokers: string;
  /** Stops the broker (SIGTERM, as `npm run kafka:stop`); its data stays, so start() brings the same topics back. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and deletes its data. */
  cleanup(): Promise<void>;
}

/**
 * A single-node KRaft broker of the project's own Kafka (tools/kafka-local) on free ports, its data in
 * a /tmp home; the jars are shared with the project's cache (provisioned there once, linked here).
 */
export async function startPrivateKafka(options: { heap?: string; log?: (line: string) => void } = {}): Promise<PrivateKafka> {
  const shared = localKafkaOptions({ log: () => undefined });
  provisionKafkaRuntime(shared);
  const home = mkdtempSync(join(tmpdir(), 'revstream-kafka-'));
  mkdirSync(join(home, KAFKA_VERSION), { recursive: true });
  symlinkSync(join(shared.home, KAFKA_VERSION, 'libs'), join(home, KAFKA_VERSION, 'libs'));
  const port = await freePort();
  let controllerPort = await freePort();
  while (controllerPort === port) controllerPort = await freePort();
  const o: LocalKafkaOptions = localKafkaOptions({ port, controllerPort, home, heap: options.heap ?? '512m', log: options.log ?? (() => undefined) });
  const brokers = `127.0.0.1:${port}`;
  const start = async (): Promise<void> => {
    const started = await startLocalKafka(o);
    if (!started.startedByUs && !(await kafkaAnswers(brokers))) throw new Error(`the private broker on ${brokers} did not start`);
  };
  await start();
  return {
    brokers,
    start,
    stop: async () => void (await stopLocalKafka(o)),
    cleanup: async () => {
      await stopLocalKafka(o);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

const PG_BIN = process.env.POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin';

export interface PrivatePostgres {
  /** The server's `postgres` database: tests create their own databases on it. */
  url: string;
  port: number;
  /** `pg_ctl restart -m fast`: every connection is cut, the server comes back on the same port. */
  restart(): void;
  stop(): void;
  start(): void;
  cleanup(): void;
}

/**
 * A real PostgreSQL 15 cluster of the test's own: initdb into a /tmp directory, trust auth, a free
 * port on 127.0.0.1. Postgres refuses to run as root, so when the test runs as root the binaries run
 * as the `postgres` user (runuser) and the directory is theirs.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  if (!existsSync(join(PG_BIN, 'pg_ctl'))) throw new Error(`no PostgreSQL binaries in ${PG_BIN} (set POSTGRES_BIN)`);
  const root = mkdtempSync(join(tmpdir(), 'revstream-pg-'));
  const data = join(root, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(root, uid, gid);
  }
  const run = (bin: string, args: string[]): void => {
    const cmd = join(PG_BIN, bin);
    if (asRoot) execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'pipe' });
    else execFileSync(cmd, args, { stdio: 'pipe' });
  };
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  const serverOptions = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=64MB`;
  const log = join(root, 'server.log');
  const start = (): void => run('pg_ctl', ['-D', data, '-o', serverOptions, '-l', log, '-w', '-t', '60', 'start']);
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    restart: () => run('pg_ctl', ['-D', data, '-o', serverOptions, '-l', log, '-w', '-t', '60', '-m', 'fast', 'restart']),
    stop: () => run('pg_ctl', ['-D', data, '-w', '-t', '60', '-m', 'fast', 'stop']),
    start,
    cleanup: () => {
      try {
        run('pg_ctl', ['-D', data, '-w', '-t', '60', '-m', 'immediate', 'stop']);
      } catch {
        // already stopped
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}
