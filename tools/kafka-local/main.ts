/** `npm run kafka:start | kafka:stop | kafka:status | kafka:provision` */
import { Command } from 'commander';
import { localKafkaOptions, provisionKafkaRuntime, runningPid, startLocalKafka, stopLocalKafka, kafkaAnswers } from './local-kafka';

const program = new Command('kafka-local').description("the project's own Apache Kafka broker (KRaft, single node)");

program.command('provision').description('copy the Kafka runtime jars from Maven Central into .cache/kafka').action(() => {
  provisionKafkaRuntime(localKafkaOptions());
});
program.command('start').description('start the broker detached, or reuse one that already answers').action(async () => {
  const started = await startLocalKafka(localKafkaOptions());
  process.stdout.write(`KAFKA_BROKERS=${started.brokers}\n`);
});
program.command('stop').description('stop the broker this project started').action(async () => {
  await stopLocalKafka(localKafkaOptions());
});
program.command('status').description('print whether the broker answers').action(async () => {
  const o = localKafkaOptions();
  const answers = await kafkaAnswers(`127.0.0.1:${o.port}`);
  process.stdout.write(`${JSON.stringify({ brokers: `127.0.0.1:${o.port}`, answers, pid: runningPid(o) ?? null })}\n`);
  process.exitCode = answers ? 0 : 1;
});

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`[kafka-local] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
