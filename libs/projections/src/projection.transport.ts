import { type CustomTransportStrategy, Server } from '@nestjs/microservices';
import type { ProjectionRunner } from './projection-runner';

/**
 * A Nest microservice transport whose "messages" are projection batches: `app.connectMicroservice({
 * strategy })` starts every runner when the app starts, and stops them on shutdown. The stock Kafka
 * transport commits offsets per message itself; a projection needs its offsets committed in Postgres,
 * in the transaction that writes its read models, which this transport delegates to ProjectionRunner.
 */
export class ProjectionTransport extends Server implements CustomTransportStrategy {
  constructor(private readonly runners: readonly ProjectionRunner[]) {
    super();
  }

  listen(callback: (...optionalParams: unknown[]) => unknown): void {
    Promise.all(this.runners.map((r) => r.start())).then(
      () => callback(),
      (error: unknown) => callback(error),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.stop()));
  }

  on(): never {
    throw new Error('ProjectionTransport has no events to subscribe to');
  }

  unwrap<T>(): T {
    return this.runners as unknown as T;
  }
}
