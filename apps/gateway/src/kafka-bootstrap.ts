import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Topics } from '@revstream/events';
import { createKafka, ensureTopics } from '@revstream/kafka';
import type { Logger } from '@revstream/observability';
import { PROJECTION_LOGGER } from '@revstream/projections';
import { GatewayConfig } from './gateway.config';

/**
 * The gateway boots whether or not Kafka answers: an ingest edge that is down is worse than one that
 * answers 503 + Retry-After until Kafka is back (clients retry). At boot it tries once to create the
 * missing topics; when that works it runs `then` (starting the identity projection). Otherwise it
 * retries every few seconds in the background, and /health reports not ready meanwhile.
 */
@Injectable()
export class KafkaBootstrap implements OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly config: GatewayConfig,
    private readonly topics: Topics,
    @Inject(PROJECTION_LOGGER) private readonly logger: Logger,
  ) {}

  /** Resolves after the first attempt; `then` runs once the topics exist. */
  async start(then: () => Promise<void>, retryMs = 5_000): Promise<void> {
    if (await this.ensureTopics()) {
      await then();
      return;
    }
    const retry = (): void => {
      this.timer = setTimeout(() => {
        void this.ensureTopics().then(async (ok) => {
          if (this.stopped) return;
          if (!ok) return retry();
          await then().catch((error: unknown) => this.logger.error({ err: error }, 'could not start the identity projection'));
        });
      }, retryMs);
      this.timer.unref();
    };
    retry();
  }

  private async ensureTopics(): Promise<boolean> {
    const kafka = createKafka({
      brokers: this.config.KAFKA_BROKERS,
      clientId: `revstream-gateway-${this.config.INSTANCE_ID}-provisioner`,
      retry: { initialRetryTime: 100, maxRetryTime: 500, retries: 1 },
    });
    try {
      await ensureTopics(kafka, this.topics, { partitions: this.config.KAFKA_PARTITIONS, replicationFactor: this.config.KAFKA_REPLICATION_FACTOR });
      return true;
    } catch (error) {
      if (!this.stopped) this.logger.warn({ err: error }, 'Kafka does not answer: ingest answers 503 until it does; retrying topic provisioning');
      return false;
    }
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
