import { kafkaAnswers, localKafkaOptions, runningPid, startLocalKafka, stopLocalKafka } from './local-kafka';

describe("the project's own Kafka broker (Maven Central jars, KRaft)", () => {
  // A second broker on its own ports and data directory, so the one the tests use is untouched.
  const options = localKafkaOptions({ port: 19092, controllerPort: 19093, heap: '512m', log: () => undefined });

  afterAll(async () => {
    await stopLocalKafka(options);
  });

  it('starts detached, answers, is reused when started again, and stops', async () => {
    const first = await startLocalKafka(options);
    expect(first).toMatchObject({ brokers: '127.0.0.1:19092', startedByUs: true });
    expect(await kafkaAnswers('127.0.0.1:19092')).toBe(true);
    expect(runningPid(options)).toBe(first.pid);

    const second = await startLocalKafka(options);
    expect(second).toMatchObject({ brokers: '127.0.0.1:19092', startedByUs: false, pid: first.pid });

    expect(await stopLocalKafka(options)).toBe(true);
    expect(await kafkaAnswers('127.0.0.1:19092', 1_000)).toBe(false);
    expect(runningPid(options)).toBeUndefined();
  });
});
