import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { createEnvelope, type ValuedRevenueData } from '@revstream/events';
import { hashEmail, type TenantInfo } from '@revstream/tenancy';
import { hashEmailsInPlace } from '../shared/email-hashing';
import { GATEWAY_PRODUCER, IngestPublisher } from '../shared/ingest-publisher';
import type { ValuedRevenueDto } from './valued.dto';

/** Currency codes upper-cased wherever they are (`usd` and `USD` are one currency). */
function upperCaseCurrencies(node: unknown): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) return node.forEach(upperCaseCurrencies);
  const obj = node as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (key === 'currency' && typeof obj[key] === 'string') obj[key] = (obj[key] as string).toUpperCase();
    else upperCaseCurrencies(obj[key]);
  }
}

/**
 * The body's primary resource, whose key is the envelope's idempotencyKey: the invoice when there is
 * one, else the subscription, else the synced price or plan. It names the resource, not its version.
 */
export function valuedPrimaryKey(body: ValuedRevenueData): string | null {
  return body.invoice?.source_key ?? body.subscription?.source_key ?? body.price?.id ?? body.price?.source_key ?? body.plan?.id ?? body.plan?.source_key ?? null;
}

/** A Valued revenue snapshot: one envelope, the validated body with emails hashed. */
@Injectable()
export class IngestValuedUseCase {
  constructor(private readonly publisher: IngestPublisher) {}

  async execute(tenant: TenantInfo, dto: ValuedRevenueDto): Promise<void> {
    const body = JSON.parse(JSON.stringify(dto)) as ValuedRevenueData; // plain data: exactly the validated fields
    upperCaseCurrencies(body);
    hashEmailsInPlace(body, (email) => hashEmail(tenant.emailSalt, email));
    await this.publisher.publish('valued', [
      createEnvelope({
        eventId: randomUUID(),
        tenantId: tenant.id,
        type: 'valued.revenue',
        receivedAt: new Date().toISOString(),
        customerId: body.customer ? (body.customer.stripe_customer_id ?? body.customer.id) : null,
        idempotencyKey: valuedPrimaryKey(body),
        producer: GATEWAY_PRODUCER,
        body,
      }),
    ]);
  }
}
