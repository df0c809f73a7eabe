import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { PROJECTION_DATA_SOURCE } from '@revstream/projections';
import { hashEmail, type TenantInfo } from '@revstream/tenancy';
import { IngestError } from '../ingest/shared/ingest-error';
import { CUSTOMER_ALIASES_TABLE } from './customer-identity.projection';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The Stripe customer an email belongs to, per the identity read model: the one it was last seen with (by day; a tie goes to the smallest id). */
@Injectable()
export class LookupCustomerUseCase {
  constructor(@Inject(PROJECTION_DATA_SOURCE) private readonly dataSource: DataSource) {}

  async byEmail(tenant: TenantInfo, email: unknown): Promise<{ email: string; stripeCustomerId: string }> {
    if (typeof email !== 'string' || !EMAIL.test(email.trim())) throw new IngestError('invalid', ['email: must be an email address (?email=customer@example.com)']);
    const rows = (await this.dataSource.query(
      `SELECT stripe_customer_id FROM "gateway".${CUSTOMER_ALIASES_TABLE}
        WHERE tenant_id = $1 AND kind = 'email' AND alias = $2
        ORDER BY last_seen_on DESC, stripe_customer_id LIMIT 1`,
      [tenant.id, hashEmail(tenant.emailSalt, email)],
    )) as Array<{ stripe_customer_id: string }>;
    if (rows.length === 0) throw new IngestError('not_found', ['No customer found for this email']);
    return { email: email.trim(), stripeCustomerId: rows[0]!.stripe_customer_id };
  }
}
