import type { Admin, Kafka } from 'kafkajs';
import type { ReadinessCheck } from '@revstream/observability';

/** Ready when the cluster answers a metadata request. */
export class KafkaReadiness implements ReadinessCheck {
  readonly name = 'kafka';
  private admin: Admin | undefined;

  constructor(private readonly kafka: Kafka) {}

  async check(): Promise<void> {
    if (this.admin === undefined) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    try {
      const cluster = await this.admin.describeCluster();
      if (cluster.brokers.length === 0) throw new Error('no brokers in cluster metadata');
    } catch (error) {
      const admin = this.admin;
      this.admin = undefined;
      await admin.disconnect().catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = undefined;
  }
}
