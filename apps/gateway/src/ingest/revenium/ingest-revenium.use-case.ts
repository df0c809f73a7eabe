import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { createEnvelope, type ReveniumMeterData } from '@revstream/events';
import { hashEmail, type TenantInfo } from '@revstream/tenancy';
import { hashEmailsInPlace } from '../shared/email-hashing';
import { GATEWAY_PRODUCER, IngestPublisher } from '../shared/ingest-publisher';
import type { ReveniumMeterDto } from './revenium.dto';

const emptyToNull = (v: string | null | undefined): string | null => (v === undefined || v === null || v.length === 0 ? null : v);

/** A Revenium metering event: one envelope; sourceType defaults to UNKNOWN. */
@Injectable()
export class IngestReveniumUseCase {
  constructor(private readonly publisher: IngestPublisher) {}

  async execute(tenant: TenantInfo, dto: ReveniumMeterDto): Promise<{ id: string; transactionId: string; receivedAt: string }> {
    const body: ReveniumMeterData = hashEmailsInPlace(
      {
        transactionId: dto.transactionId,
        payload: { ...dto.payload },
        sourceId: emptyToNull(dto.sourceId),
        subscriberCredential: emptyToNull(dto.subscriberCredential),
        sourceType: dto.sourceType ?? 'UNKNOWN',
      },
      (email) => hashEmail(tenant.emailSalt, email),
    );
    const envelope = createEnvelope({
      eventId: randomUUID(),
      tenantId: tenant.id,
      type: 'revenium.meter',
      receivedAt: new Date().toISOString(),
      customerId: body.subscriberCredential,
      idempotencyKey: body.transactionId,
      producer: GATEWAY_PRODUCER,
      body,
    });
    await this.publisher.publish('revenium', [envelope]);
    return { id: envelope.eventId, transactionId: body.transactionId, receivedAt: envelope.receivedAt };
  }
}
