import cluster from 'node:cluster';
import { Injectable } from '@nestjs/common';
import { type RateLimiterAbstract, RateLimiterCluster, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { GatewayConfig } from '../../gateway.config';
import { IngestError } from './ingest-error';
import type { IngestSource } from './ingest-source';

/**
 * Per-tenant request budgets per source, per minute, in memory: this process's, or, when the gateway
 * runs several worker processes (GATEWAY_WORKERS), the primary's, shared by its workers
 * (RateLimiterCluster). Each gateway instance counts its own requests. Revnu's seed documents 500
 * requests per minute; the others default high enough not to throttle ordinary traffic. All
 * configurable (gateway.config.ts).
 */
@Injectable()
export class IngestRateLimiter {
  private readonly limiters: Readonly<Record<IngestSource, RateLimiterAbstract>>;

  constructor(config: GatewayConfig) {
    const perMinute = (source: IngestSource, points: number): RateLimiterAbstract =>
      cluster.isWorker
        ? new RateLimiterCluster({ keyPrefix: `ingest-${source}`, points, duration: 60, timeoutMs: 1_000 })
        : new RateLimiterMemory({ points, duration: 60 });
    this.limiters = {
      revlint: perMinute('revlint', config.REVLINT_RATE_LIMIT_PER_MINUTE),
      pulsora: perMinute('pulsora', config.PULSORA_RATE_LIMIT_PER_MINUTE),
      revnu: perMinute('revnu', config.REVNU_RATE_LIMIT_PER_MINUTE),
      valued: perMinute('valued', config.VALUED_RATE_LIMIT_PER_MINUTE),
      revenium: perMinute('revenium', config.REVENIUM_RATE_LIMIT_PER_MINUTE),
    };
  }

  /** Spends one request of the tenant's budget; a 429 with Retry-After when it is spent. */
  async consume(source: IngestSource, tenantId: string): Promise<void> {
    try {
      await this.limiters[source].consume(tenantId);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) throw new IngestError('rate_limited', [], rejection.msBeforeNext / 1000);
      // The primary did not answer in time (RateLimiterCluster): let the request through rather than fail it.
      if (cluster.isWorker) return;
      throw rejection;
    }
  }
}
