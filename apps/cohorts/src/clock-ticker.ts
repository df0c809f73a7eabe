import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { createEnvelope, type Envelope } from '@revstream/events';
import type { EventPublisher } from '@revstream/kafka';
import { counter, type Logger } from '@revstream/observability';

export const CLOCK_PRODUCER = 'cohorts-clock';

const ticks = counter('revstream_clock_ticks_total', 'Clock ticks published, by outcome', ['outcome']);

/**
 * One tick: "it is now `at` for this tenant". One tick per tenant, keyed `tenantId:` like every
 * record: the cohort scorer keeps one document per tenant, and a tick must reach it. The event id is
 * derived from the tenant and the instant, so two tickers (two instances of the app) publish the
 * same tick, and the scorer applies it once.
 */
export function tickEnvelope(tenantId: string, atMs: number): Envelope<'clock.tick'> {
  const at = new Date(atMs).toISOString();
  return createEnvelope({
    eventId: `clock:${tenantId}:${at}`,
    tenantId,
    type: 'clock.tick',
    receivedAt: at,
    occurredAt: at,
    customerId: null,
    producer: CLOCK_PRODUCER,
    body: { at },
  });
}

export interface ClockTickerOptions {
  /** Milliseconds between ticks; 0 turns the ticker off. Ticks fall on multiples of it (epoch-aligned). */
  intervalMs: number;
  /** The tenants to tick for. */
  tenants: () => Promise<string[]>;
  publisher: EventPublisher;
  logger: Logger;
  /** The wall clock. A producer reads it to write time into the log; projections never do. */
  now?: () => number;
}

/**
 * Publishes clock ticks, so that time passes in the log even when no event arrives: an account goes
 * silent because the clock moved, and a replay sees exactly the ticks the live run saw. This is the
 * only place the cohorts app reads the wall clock, and it only writes what it read into the log.
 */
export class ClockTicker implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(private readonly options: ClockTickerOptions) {}

  onApplicationBootstrap(): void {
    this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  start(): void {
    if (this.options.intervalMs <= 0 || this.timer !== undefined) return;
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs);
    this.timer.unref();
    void this.tick();
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** Publishes one tick per tenant for the current slot; skipped while the previous one is still publishing. */
  tick(): Promise<number> {
    if (this.running !== undefined) return this.running;
    this.running = this.publishTicks().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async publishTicks(): Promise<number> {
    const { intervalMs, logger } = this.options;
    const wall = (this.options.now ?? Date.now)();
    const slot = intervalMs > 0 ? Math.floor(wall / intervalMs) * intervalMs : wall;
    try {
      const tenants = await this.options.tenants();
      await this.options.publisher.publish(tenants.map((t) => tickEnvelope(t, slot)));
      ticks.inc({ outcome: 'published' }, tenants.length);
      return tenants.length;
    } catch (error) {
      ticks.inc({ outcome: 'failed' });
      logger.warn({ err: error }, 'clock tick not published; the next one will be');
      return 0;
    }
  }
}
