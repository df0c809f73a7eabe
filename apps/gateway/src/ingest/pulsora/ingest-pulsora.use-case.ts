import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { createEnvelope, type Envelope, type JsonObject, type PulsoraActivityKind, type PulsoraRevenueData } from '@revstream/events';
import { hashEmail, type TenantInfo } from '@revstream/tenancy';
import { hashEmailsInPlace } from '../shared/email-hashing';
import { GATEWAY_PRODUCER, IngestPublisher } from '../shared/ingest-publisher';
import type { PulsoraRevenueDataDto } from './pulsora.dto';

const orNull = <T>(v: T | null | undefined): T | null => (v === undefined ? null : v);

/** Pulsora: revenue events (sec_ token), and pageview/event/identify product activity (pub_ or sec_). */
@Injectable()
export class IngestPulsoraUseCase {
  constructor(private readonly publisher: IngestPublisher) {}

  async revenue(tenant: TenantInfo, data: PulsoraRevenueDataDto): Promise<void> {
    const body: PulsoraRevenueData = hashEmailsInPlace(
      {
        visitor_fingerprint: data.visitor_fingerprint,
        session_id: data.session_id,
        customer_id: data.customer_id,
        amount: data.amount,
        currency: (data.currency ?? 'USD').toUpperCase(),
        transaction_id: data.transaction_id,
        payment_processor: orNull(data.payment_processor),
        event_type: orNull(data.event_type),
        customer_subscription_id: orNull(data.customer_subscription_id),
        mrr_impact: orNull(data.mrr_impact),
        is_recurring: orNull(data.is_recurring),
        metadata: orNull(data.metadata) as JsonObject | null,
      },
      (email) => hashEmail(tenant.emailSalt, email),
    );
    await this.publish(
      createEnvelope({
        eventId: randomUUID(),
        tenantId: tenant.id,
        type: 'pulsora.revenue',
        receivedAt: new Date().toISOString(),
        customerId: body.customer_id,
        idempotencyKey: body.transaction_id,
        producer: GATEWAY_PRODUCER,
        body,
      }),
    );
  }

  async activity(tenant: TenantInfo, kind: PulsoraActivityKind, data: Record<string, unknown>): Promise<void> {
    const body = hashEmailsInPlace(data as JsonObject, (email) => hashEmail(tenant.emailSalt, email));
    const customer = body.customer_id;
    await this.publish(
      createEnvelope({
        eventId: randomUUID(),
        tenantId: tenant.id,
        type: `pulsora.${kind}`,
        receivedAt: new Date().toISOString(),
        customerId: typeof customer === 'string' && customer.length > 0 ? customer : null,
        idempotencyKey: null,
        producer: GATEWAY_PRODUCER,
        body,
      }),
    );
  }

  private publish(envelope: Envelope): Promise<void> {
    return this.publisher.publish('pulsora', [envelope]);
  }
}
