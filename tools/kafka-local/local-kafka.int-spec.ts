import { kafkaAnswers, localKafkaOptions, runningPid, startLocalKafka, stopLocalKafka } from './local-kafka';

describe("the project's own Kafka broker (Maven Central jars, KRaft)", () => {
  // A second broker on its own ports and data directory, so the one the tests use is untouched
  // (random ports, so concurrent runs from several checkouts don't collide).
  const port = 20_000 + 2 * Math.floor(Math.random() * 2_000);
  const brokers = `127.0.0.1:${port}`;
  const options = localKafkaOptions({ port, controllerPort: port + 1, heap: '512m', log: () => undefined });

  afterAll(async () => {
    await stopLocalKafka(options);
  });

  it('starts detached, answers, is reused when started again, and stops', async () => {
    const first = await startLocalKafka(options);
    expect(first).toMatchObject({ brokers, startedByUs: true });
    expect(await kafkaAnswers(brokers)).toBe(true);
    expect(runningPid(options)).toBe(first.pid);

    const second = await startLocalKafka(options);
    expect(second).toMatchObject({ brokers, startedByUs: false, pid: first.pid });

    expect(await stopLocalKafka(options)).toBe(true);
    expect(await kafkaAnswers(brokers, 1_000)).toBe(false);
    expect(runningPid(options)).toBeUndefined();
  });
});
