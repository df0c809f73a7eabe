/**
 * The physical limits of the broker on this machine, measured with Apache Kafka's own tools
 * (org.apache.kafka.tools.ProducerPerformance / ConsumerPerformance from kafka-tools 3.9, provisioned
 * from Maven Central with the broker), with acks=all and the record size our envelopes have.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { TOPIC_CONFIG } from '@revstream/events';
import { createKafka } from '@revstream/kafka';
import { kafkaClasspath, localKafkaOptions } from '../../tools/kafka-local/local-kafka';
import { projectRoot } from '../../tools/shared/project-root';

export interface ProducerLimit {
  records: number;
  recordSize: number;
  recordsPerSec: number;
  mbPerSec: number;
  avgLatencyMs: number;
  p50Ms: number;
  p99Ms: number;
}

export interface ConsumerLimit {
  records: number;
  recordsPerSec: number;
  mbPerSec: number;
}

function runJava(mainClass: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('java', ['-Xmx512m', '-cp', kafkaClasspath(localKafkaOptions({ log: () => undefined })), `-Dlog4j.configuration=file:${join(projectRoot(), 'tools', 'kafka-local', 'log4j-tools.properties')}`, mainClass, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${mainClass} exited ${code}: ${err.slice(-2_000)}`))));
  });
}

export async function withPerfTopic<T>(brokers: string, partitions: number, work: (topic: string) => Promise<T>): Promise<T> {
  const kafka = createKafka({ brokers, clientId: 'bench-limits' });
  const admin = kafka.admin();
  const topic = `bench-limit-${randomBytes(4).toString('hex')}`;
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1, configEntries: Object.entries(TOPIC_CONFIG).map(([name, value]) => ({ name, value })) }],
    });
    return await work(topic);
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
}

/** ProducerPerformance, acks=all, as fast as it goes. Parses its summary line. */
export async function producerLimit(brokers: string, topic: string, records: number, recordSize: number): Promise<ProducerLimit> {
  const out = await runJava('org.apache.kafka.tools.ProducerPerformance', [
    '--topic', topic, '--num-records', String(records), '--record-size', String(recordSize), '--throughput', '-1',
    '--producer-props', `bootstrap.servers=${brokers}`, 'acks=all', 'enable.idempotence=true',
  ]);
  const summary = out.trim().split('\n').pop() ?? '';
  const m = summary.match(/([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency.*?(\d+) ms 50th.*?(\d+) ms 99th/);
  if (!m) throw new Error(`could not parse ProducerPerformance output: ${summary}`);
  return { records, recordSize, recordsPerSec: Number(m[1]), mbPerSec: Number(m[2]), avgLatencyMs: Number(m[3]), p50Ms: Number(m[4]), p99Ms: Number(m[5]) };
}

/** ConsumerPerformance over records already in the topic. */
export async function consumerLimit(brokers: string, topic: string, records: number): Promise<ConsumerLimit> {
  const out = await runJava('org.apache.kafka.tools.ConsumerPerformance', ['--bootstrap-server', brokers, '--topic', topic, '--messages', String(records), '--timeout', '60000']);
  const lines = out.trim().split('\n');
  const header = lines.findIndex((l) => l.startsWith('start.time'));
  const data = lines.slice(header + 1).find((l) => /^\d{4}-/.test(l));
  if (header < 0 || data === undefined) throw new Error(`could not parse ConsumerPerformance output: ${out.slice(-1_000)}`);
  const cols = lines[header]!.split(',').map((c) => c.trim());
  const vals = data.split(',').map((c) => c.trim());
  const get = (name: string): number => Number(vals[cols.indexOf(name)]);
  // fetch.* excludes the group join: the rate of reading records once consuming.
  return { records: get('data.consumed.in.nMsg'), recordsPerSec: get('fetch.nMsg.sec'), mbPerSec: get('fetch.MB.sec') };
}
