/** `npm run bench:limits`: Kafka's own producer and consumer rates on this machine (acks=all). */
import { type ConsumerLimit, consumerLimit, type ProducerLimit, producerLimit, withPerfTopic } from '../shared/kafka-limits';
import { machineDescription, today, writeReport } from '../shared/results';
import { runToExit } from '../shared/run-to-exit';

export interface LimitsOptions {
  brokers: string;
  records: number;
  recordSize: number;
  partitions: number;
}

export interface LimitsResult {
  producer: ProducerLimit;
  consumer: ConsumerLimit;
}

/** ProducerPerformance (acks=all) fills a fresh topic, then ConsumerPerformance reads it back. */
export async function run(options: LimitsOptions): Promise<LimitsResult> {
  return withPerfTopic(options.brokers, options.partitions, async (topic) => {
    const producer = await producerLimit(options.brokers, topic, options.records, options.recordSize);
    const consumer = await consumerLimit(options.brokers, topic, options.records);
    return { producer, consumer };
  });
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const options: LimitsOptions = {
    brokers: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
    records: quick ? 200_000 : 1_000_000,
    recordSize: Number(process.env.BENCH_RECORD_SIZE ?? 600),
    partitions: 6,
  };
  const { producer, consumer } = await run(options);
  const path = writeReport(`limits-${today()}`, {
    title: 'Kafka limits on this machine',
    date: new Date().toISOString(),
    machine: machineDescription(),
    command: `npm run bench:limits${quick ? ' -- --quick' : ''}`,
    figures: [
      { stage: 'kafka', metric: 'ProducerPerformance, acks=all, idempotent', value: producer.recordsPerSec, unit: 'records/s', notes: `${options.recordSize} B records, p50 ${producer.p50Ms} ms, p99 ${producer.p99Ms} ms` },
      { stage: 'kafka', metric: 'ConsumerPerformance', value: consumer.recordsPerSec, unit: 'records/s', notes: `${consumer.mbPerSec} MB/s` },
    ],
    details: { producer, consumer },
  });
  process.stdout.write(`${JSON.stringify({ producer, consumer })}\nwritten to ${path}\n`);
}

if (require.main === module) {
  runToExit('bench:limits', main());
}
