import { hash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import stringify from 'safe-stable-stringify';
import { createEnvelope, type Envelope, type JsonObject, type RevlintProductEventData } from '@revstream/events';
import { hashEmail, type TenantInfo } from '@revstream/tenancy';
import { hashEmailsInPlace } from '../shared/email-hashing';
import { GATEWAY_PRODUCER, IngestPublisher } from '../shared/ingest-publisher';
import type { RevlintBatchDto } from './revlint.dto';

/**
 * A deterministic event id: a UUID (v5 layout) of SHA-256 over the tenant and the canonical event
 * (keys sorted). A client that retries a batch after a 503 (or a lost response) publishes the same
 * ids again, and consumers, which apply an event id once, count it once. Two events identical in
 * every field, to the millisecond of occurredAt, are one event.
 */
export function revlintEventId(tenantId: string, event: RevlintProductEventData): string {
  const h = hash('sha256', `${tenantId}\u0000${stringify(event) ?? ''}`, 'buffer') as Buffer;
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Revenue Linter product events: one envelope per event, all published together or none. */
@Injectable()
export class IngestRevlintUseCase {
  constructor(private readonly publisher: IngestPublisher) {}

  async execute(tenant: TenantInfo, batch: RevlintBatchDto): Promise<{ accepted: number }> {
    const receivedAt = new Date().toISOString();
    const hashOf = (email: string): string => hashEmail(tenant.emailSalt, email);
    const envelopes: Envelope<'revlint.product_event'>[] = batch.events.map((e) => {
      const body: RevlintProductEventData = hashEmailsInPlace(
        {
          externalUserId: e.externalUserId === undefined || e.externalUserId === null ? null : String(e.externalUserId),
          stripeCustomerId: e.stripeCustomerId ?? null,
          type: e.type,
          occurredAt: e.occurredAt,
          properties: (e.properties ?? {}) as JsonObject,
          ...(e.email !== undefined && e.email !== null ? { email: e.email } : {}),
        },
        hashOf,
      );
      return createEnvelope({
        eventId: revlintEventId(tenant.id, body),
        tenantId: tenant.id,
        type: 'revlint.product_event',
        receivedAt,
        occurredAt: new Date(body.occurredAt).toISOString(),
        customerId: body.stripeCustomerId ?? body.externalUserId,
        idempotencyKey: null,
        producer: GATEWAY_PRODUCER,
        body,
      });
    });
    await this.publisher.publish('revlint', envelopes);
    return { accepted: envelopes.length };
  }
}
