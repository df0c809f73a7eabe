/**
 * The project's own Apache Kafka broker, for machines without Docker.
 *
 * The broker is the real thing: Apache Kafka 3.9.x (KRaft, single node, broker+controller) run from
 * the jars Maven Central publishes, with the machine's Java 17 and Maven. Nothing is mocked.
 *
 *  provision: mvn copies org.apache.kafka:kafka_2.13 (+ kafka-tools and a log4j binding) into
 *             .cache/kafka/<version>/libs, which git ignores.
 *  format:    KRaft storage is formatted once per data directory.
 *  start:     idempotent. A broker that already answers on the port is reused; otherwise one is
 *             started detached, and we wait until it answers a metadata request.
 *  stop:      SIGTERM (controlled shutdown), SIGKILL after a grace period.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { projectRoot } from '../shared/project-root';

export const KAFKA_VERSION = '3.9.2';

export interface LocalKafkaOptions {
  /** PLAINTEXT listener, on 127.0.0.1. */
  port: number;
  /** KRaft controller listener, on 127.0.0.1. */
  controllerPort: number;
  /** Where jars, data, logs and the pid file live. Git-ignored. */
  home: string;
  /** Max heap, JVM syntax. */
  heap: string;
  /** How long to wait for the broker to answer after starting it. */
  startTimeoutMs: number;
  log: (line: string) => void;
}

export function localKafkaOptions(overrides: Partial<LocalKafkaOptions> = {}): LocalKafkaOptions {
  const port = Number(process.env.KAFKA_LOCAL_PORT ?? 9092);
  return {
    port,
    controllerPort: Number(process.env.KAFKA_LOCAL_CONTROLLER_PORT ?? port + 1),
    home: process.env.KAFKA_LOCAL_HOME ?? join(projectRoot(), '.cache', 'kafka'),
    heap: process.env.KAFKA_LOCAL_HEAP ?? '1g',
    startTimeoutMs: 90_000,
    log: (line) => process.stderr.write(`[kafka-local] ${line}\n`),
    ...overrides,
  };
}

const libsDir = (o: LocalKafkaOptions): string => join(o.home, KAFKA_VERSION, 'libs');
const dataDir = (o: LocalKafkaOptions): string => join(o.home, `data-${o.port}`);
const pidFile = (o: LocalKafkaOptions): string => join(o.home, `broker-${o.port}.pid`);
export const brokerLogFile = (o: LocalKafkaOptions): string => join(o.home, `broker-${o.port}.log`);
const classpath = (o: LocalKafkaOptions): string => `${libsDir(o)}/*`;

/** Missing prerequisites, each with what to run. Empty when the machine can run the broker. */
export function missingPrerequisites(o: LocalKafkaOptions): string[] {
  const missing: string[] = [];
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (java.error || java.status !== 0) {
    missing.push('Java 17+ is not on PATH (install a JDK, e.g. `apt-get install openjdk-17-jdk-headless`).');
  }
  if (!isProvisioned(o)) {
    const mvn = spawnSync('mvn', ['-v'], { encoding: 'utf8' });
    if (mvn.error || mvn.status !== 0) {
      missing.push('Maven is not on PATH and the Kafka jars are not cached yet (install Maven, e.g. `apt-get install maven`).');
    }
  }
  return missing;
}

export function isProvisioned(o: LocalKafkaOptions): boolean {
  return existsSync(join(libsDir(o), '.complete'));
}

/** Copies the broker's runtime jars from Maven Central (through ~/.m2) into the cache. */
export function provisionKafkaRuntime(o: LocalKafkaOptions): void {
  if (isProvisioned(o)) return;
  const missing = missingPrerequisites(o);
  if (missing.length > 0) throw new Error(`cannot provision Kafka ${KAFKA_VERSION}:\n  - ${missing.join('\n  - ')}`);
  const libs = libsDir(o);
  rmSync(libs, { recursive: true, force: true });
  mkdirSync(libs, { recursive: true });
  o.log(`provisioning Apache Kafka ${KAFKA_VERSION} from Maven Central into ${libs}`);
  const pom = join(projectRoot(), 'tools', 'kafka-local', 'pom.xml');
  const mvn = spawnSync(
    'mvn',
    [
      '-q', '-B', '-f', pom,
      `-Dkafka.version=${KAFKA_VERSION}`,
      'org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${libs}`,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (mvn.error || mvn.status !== 0) {
    throw new Error(`mvn could not provision Kafka ${KAFKA_VERSION} (exit ${mvn.status}):\n${mvn.stdout}\n${mvn.stderr}`);
  }
  const jars = readdirSync(libs).filter((f) => f.endsWith('.jar'));
  if (!jars.some((f) => f.startsWith(`kafka_2.13-${KAFKA_VERSION}`))) {
    throw new Error(`mvn finished but kafka_2.13-${KAFKA_VERSION}.jar is not in ${libs}`);
  }
  writeFileSync(join(libs, '.complete'), `${KAFKA_VERSION}\n${jars.length} jars\n`);
  o.log(`provisioned ${jars.length} jars`);
}

function serverProperties(o: LocalKafkaOptions): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${o.controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${o.port},CONTROLLER://127.0.0.1:${o.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${o.port}`,
    'inter.broker.listener.name=PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${dataDir(o)}`,
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    // A fetch response holds at most this much for all its partitions (Kafka's default is 55 MiB). The
    // billing app asks for 128 MiB per partition for 3 partitions at once, so that its transactions
    // can be as large as CONSUMER_MAX_BATCH says (docs/performance-billing.md, sixth pass).
    'fetch.max.bytes=536870912',
    // Topics are provisioned explicitly (libs/kafka) with their retention; a typo must not create one.
    'auto.create.topics.enable=false',
    'num.partitions=6',
    'delete.topic.enable=true',
    '',
  ].join('\n');
}

/** A KRaft cluster id: 16 random bytes, base64url, not starting with '-' (it is passed as a CLI argument). */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function formatStorage(o: LocalKafkaOptions, propsPath: string): void {
  if (existsSync(join(dataDir(o), 'meta.properties'))) return;
  mkdirSync(dataDir(o), { recursive: true });
  const format = spawnSync(
    'java',
    ['-cp', classpath(o), `-Dlog4j.configuration=file:${log4jPath()}`, 'kafka.tools.StorageTool', 'format', '-t', newClusterId(), '-c', propsPath, '--ignore-formatted'],
    { encoding: 'utf8' },
  );
  if (format.error || format.status !== 0) {
    throw new Error(`formatting KRaft storage failed (exit ${format.status}):\n${format.stdout}\n${format.stderr}`);
  }
}

const log4jPath = (): string => join(projectRoot(), 'tools', 'kafka-local', 'log4j.properties');

/** True when a Kafka broker answers a metadata request at `brokers` within the timeout. */
export async function kafkaAnswers(brokers: string, timeoutMs = 3_000): Promise<boolean> {
  const kafka = new Kafka({
    clientId: 'revstream-probe',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: Math.min(timeoutMs, 1_000),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    const probe = (async () => {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return cluster.brokers.length > 0;
    })();
    const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
    return await Promise.race([probe, timeout]);
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function readPid(o: LocalKafkaOptions): number | undefined {
  if (!existsSync(pidFile(o))) return undefined;
  const pid = Number(readFileSync(pidFile(o), 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface StartedKafka {
  brokers: string;
  /** False when a broker was already answering and was reused. */
  startedByUs: boolean;
  pid?: number;
}

/** Starts the broker detached (it outlives this process), or reuses one that already answers. */
export async function startLocalKafka(o: LocalKafkaOptions = localKafkaOptions()): Promise<StartedKafka> {
  const brokers = `127.0.0.1:${o.port}`;
  if (await kafkaAnswers(brokers)) {
    o.log(`a broker already answers on ${brokers}; reusing it`);
    return { brokers, startedByUs: false, pid: readPid(o) };
  }
  const stale = readPid(o);
  if (stale !== undefined && isAlive(stale)) {
    o.log(`broker process ${stale} exists but does not answer yet; waiting for it`);
    if (await waitUntilAnswers(o, brokers, stale)) return { brokers, startedByUs: false, pid: stale };
    throw new Error(`broker process ${stale} did not answer on ${brokers}; see ${brokerLogFile(o)}`);
  }
  provisionKafkaRuntime(o);
  mkdirSync(o.home, { recursive: true });
  const propsPath = join(o.home, `server-${o.port}.properties`);
  writeFileSync(propsPath, serverProperties(o));
  formatStorage(o, propsPath);

  const out = openSync(brokerLogFile(o), 'a');
  const child = spawn(
    'java',
    [
      `-Xms${o.heap}`, `-Xmx${o.heap}`,
      '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:InitiatingHeapOccupancyPercent=35',
      '-XX:+ExplicitGCInvokesConcurrent', '-Djava.awt.headless=true',
      `-Dlog4j.configuration=file:${log4jPath()}`,
      '-cp', classpath(o),
      'kafka.Kafka', propsPath,
    ],
    { detached: true, stdio: ['ignore', out, out] },
  );
  closeSync(out);
  if (child.pid === undefined) throw new Error('could not spawn java for the Kafka broker');
  child.unref();
  writeFileSync(pidFile(o), `${child.pid}\n`);
  o.log(`started broker pid ${child.pid} on ${brokers} (log: ${brokerLogFile(o)})`);
  if (!(await waitUntilAnswers(o, brokers, child.pid))) {
    const tail = existsSync(brokerLogFile(o)) ? readFileSync(brokerLogFile(o), 'utf8').split('\n').slice(-30).join('\n') : '';
    throw new Error(`Kafka did not answer on ${brokers} within ${o.startTimeoutMs} ms. Last log lines:\n${tail}`);
  }
  o.log(`broker answers on ${brokers}`);
  return { brokers, startedByUs: true, pid: child.pid };
}

async function waitUntilAnswers(o: LocalKafkaOptions, brokers: string, pid: number): Promise<boolean> {
  const deadline = Date.now() + o.startTimeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return false;
    if (await kafkaAnswers(brokers, 2_000)) return true;
    await sleep(500);
  }
  return false;
}

/** Stops the broker this project started (pid file). A broker started elsewhere is left alone. */
export async function stopLocalKafka(o: LocalKafkaOptions = localKafkaOptions()): Promise<boolean> {
  const pid = readPid(o);
  if (pid === undefined || !isAlive(pid)) {
    rmSync(pidFile(o), { force: true });
    o.log(`no broker started by this project is running on port ${o.port}`);
    return false;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 30_000;
  while (isAlive(pid) && Date.now() < deadline) await sleep(250);
  if (isAlive(pid)) {
    o.log(`broker ${pid} ignored SIGTERM for 30 s; killing it`);
    process.kill(pid, 'SIGKILL');
  }
  rmSync(pidFile(o), { force: true });
  o.log(`stopped broker pid ${pid}`);
  return true;
}

export function runningPid(o: LocalKafkaOptions = localKafkaOptions()): number | undefined {
  const pid = readPid(o);
  return pid !== undefined && isAlive(pid) ? pid : undefined;
}

export function kafkaClasspath(o: LocalKafkaOptions = localKafkaOptions()): string {
  provisionKafkaRuntime(o);
  return classpath(o);
}
