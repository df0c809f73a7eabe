import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { type IngestContext, Ingested, IngestRoute } from '../shared/ingest-auth.guard';
import { validateBody } from '../shared/validate-body';
import { IngestReveniumUseCase } from './ingest-revenium.use-case';
import { ReveniumMeterDto } from './revenium.dto';

/**
 * Revenium (seed 004): `POST /meter/v2/events`, `x-api-key: <ingest token>`. The seed does not show
 * its response: 201 Created with the stored event's id, because the event exists (Kafka holds it) when we answer.
 */
@Controller()
export class ReveniumController {
  constructor(private readonly ingest: IngestReveniumUseCase) {}

  @Post('meter/v2/events')
  @HttpCode(201)
  @IngestRoute('revenium', 'api-key')
  async meter(@Ingested() { tenant }: IngestContext, @Body() body: unknown): Promise<{ id: string; transactionId: string; receivedAt: string }> {
    return this.ingest.execute(tenant, validateBody(ReveniumMeterDto, body));
  }
}
