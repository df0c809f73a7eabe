import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { type IngestContext, Ingested, IngestRoute } from '../shared/ingest-auth.guard';
import { validateBody } from '../shared/validate-body';
import { IngestValuedUseCase } from './ingest-valued.use-case';
import { ValuedRevenueDto, valuedShapeProblems } from './valued.dto';

/** Valued (seed 003): `POST /events`, `Authorization: Bearer <ingest token>`, `category: "revenue"`; 202 `{"success":true}`. */
@Controller()
export class ValuedController {
  constructor(private readonly ingest: IngestValuedUseCase) {}

  @Post('events')
  @HttpCode(202)
  @IngestRoute('valued', 'bearer')
  async revenue(@Ingested() { tenant }: IngestContext, @Body() body: unknown): Promise<{ success: true }> {
    await this.ingest.execute(tenant, validateBody(ValuedRevenueDto, body, { extraChecks: valuedShapeProblems }));
    return { success: true };
  }
}
