import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { createEnvelope } from '@revstream/events';
import { TenantDirectory, type TenantInfo } from '@revstream/tenancy';
import { IngestError } from '../shared/ingest-error';
import { GATEWAY_PRODUCER, IngestPublisher } from '../shared/ingest-publisher';
import type { RevnuUsageDto } from './revnu.dto';

/**
 * A Revnu usage report: the product must be known (404) and metered or hybrid (400: flat products
 * have no usage charges); the envelope carries the product's event name, which the client gets back.
 */
@Injectable()
export class IngestRevnuUseCase {
  constructor(
    private readonly directory: TenantDirectory,
    private readonly publisher: IngestPublisher,
  ) {}

  async execute(tenant: TenantInfo, usage: RevnuUsageDto): Promise<{ value: number; eventName: string }> {
    const product = await this.directory.product(tenant.id, usage.productId);
    if (product === undefined) throw new IngestError('not_found', ['Product not found']);
    if (product.model === 'flat') throw new IngestError('not_metered', ['Product does not support metered billing']);
    await this.publisher.publish('revnu', [
      createEnvelope({
        eventId: randomUUID(),
        tenantId: tenant.id,
        type: 'revnu.usage',
        receivedAt: new Date().toISOString(),
        customerId: usage.stripeCustomerId,
        idempotencyKey: null,
        producer: GATEWAY_PRODUCER,
        body: { productId: usage.productId, stripeCustomerId: usage.stripeCustomerId, value: usage.value, eventName: product.eventName },
      }),
    ]);
    return { value: usage.value, eventName: product.eventName };
  }
}
