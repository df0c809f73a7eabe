import { Injectable } from '@nestjs/common';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { GatewayConfig } from '../../gateway.config';
import { IngestError } from './ingest-error';
import type { IngestSource } from './ingest-source';

/**
 * Per-tenant request budgets per source, per minute, in this process's memory (each gateway
 * instance counts its own requests). Revnu's seed documents 500 requests per minute; the others
 * default high enough not to throttle ordinary traffic. All configurable (gateway.config.ts).
 */
@Injectable()
export class IngestRateLimiter {
  private readonly limiters: Readonly<Record<IngestSource, RateLimiterMemory>>;

  constructor(config: GatewayConfig) {
    const perMinute = (points: number): RateLimiterMemory => new RateLimiterMemory({ points, duration: 60 });
    this.limiters = {
      revlint: perMinute(config.REVLINT_RATE_LIMIT_PER_MINUTE),
      pulsora: perMinute(config.PULSORA_RATE_LIMIT_PER_MINUTE),
      revnu: perMinute(config.REVNU_RATE_LIMIT_PER_MINUTE),
      valued: perMinute(config.VALUED_RATE_LIMIT_PER_MINUTE),
      revenium: perMinute(config.REVENIUM_RATE_LIMIT_PER_MINUTE),
    };
  }

  /** Spends one request of the tenant's budget; a 429 with Retry-After when it is spent. */
  async consume(source: IngestSource, tenantId: string): Promise<void> {
    try {
      await this.limiters[source].consume(tenantId);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) throw new IngestError('rate_limited', [], rejection.msBeforeNext / 1000);
      throw rejection;
    }
  }
}
