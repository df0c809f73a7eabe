import { Controller, Get, Query } from '@nestjs/common';
import { type IngestContext, Ingested, IngestRoute } from '../ingest/shared/ingest-auth.guard';
import { LookupCustomerUseCase } from './lookup-customer.use-case';

/**
 * Revnu (seed 002): `GET /api/v1/access?email=`, `Authorization: Bearer <ingest token>`: the Stripe
 * customer id of a customer, by email. 200 `{"email","stripeCustomerId"}`; 404 `{"error":"No customer found for this email"}`.
 */
@Controller()
export class AccessController {
  constructor(private readonly lookup: LookupCustomerUseCase) {}

  @Get('api/v1/access')
  @IngestRoute('revnu', 'bearer')
  access(@Ingested() { tenant }: IngestContext, @Query('email') email: unknown): Promise<{ email: string; stripeCustomerId: string }> {
    return this.lookup.byEmail(tenant, email);
  }
}
