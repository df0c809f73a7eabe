/** `npm run bench:limits`: Kafka's own producer and consumer rates on this machine (acks=all). */
import { consumerLimit, producerLimit, withPerfTopic } from '../shared/kafka-limits';
import { machineDescription, today, writeReport } from '../shared/results';

async function main(): Promise<void> {
  const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
  const quick = process.argv.includes('--quick');
  const records = quick ? 200_000 : 1_000_000;
  const recordSize = Number(process.env.BENCH_RECORD_SIZE ?? 600);
  const { producer, consumer } = await withPerfTopic(brokers, 6, async (topic) => {
    const producer = await producerLimit(brokers, topic, records, recordSize);
    const consumer = await consumerLimit(brokers, topic, records);
    return { producer, consumer };
  });
  const path = writeReport(`limits-${today()}`, {
    title: 'Kafka limits on this machine',
    date: new Date().toISOString(),
    machine: machineDescription(),
    command: `npm run bench:limits${quick ? ' -- --quick' : ''}`,
    figures: [
      { stage: 'kafka', metric: 'ProducerPerformance, acks=all, idempotent', value: producer.recordsPerSec, unit: 'records/s', notes: `${recordSize} B records, p50 ${producer.p50Ms} ms, p99 ${producer.p99Ms} ms` },
      { stage: 'kafka', metric: 'ConsumerPerformance', value: consumer.recordsPerSec, unit: 'records/s', notes: `${consumer.mbPerSec} MB/s` },
    ],
    details: { producer, consumer },
  });
  process.stdout.write(`${JSON.stringify({ producer, consumer })}\nwritten to ${path}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
