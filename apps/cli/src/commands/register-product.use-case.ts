import { randomUUID } from 'node:crypto';
import { createEnvelope, type ProductRegisteredData } from '@revstream/events';
import type { EventPublisher } from '@revstream/kafka';
import type { TenancyRepository } from '@revstream/tenancy';

/**
 * Registers (or updates) a Revnu product: tenancy.products, which the gateway checks usage against,
 * and `catalog.product_registered` on the catalog topic, which the metering app prices usage from.
 */
export async function registerProduct(repo: TenancyRepository, publisher: EventPublisher, tenantId: string, product: ProductRegisteredData, producer = 'cli'): Promise<void> {
  await repo.upsertProduct({ tenantId, ...product });
  try {
    await publisher.publish([
      createEnvelope({
        eventId: randomUUID(),
        tenantId,
        type: 'catalog.product_registered',
        receivedAt: new Date().toISOString(),
        customerId: null,
        idempotencyKey: null,
        producer,
        body: product,
      }),
    ]);
  } catch (error) {
    throw new Error(`the product is saved, but the catalog topic did not take it (${error instanceof Error ? error.message : String(error)}); run the command again`);
  }
}
