import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { type IngestContext, Ingested, IngestRoute } from '../shared/ingest-auth.guard';
import { validateBody } from '../shared/validate-body';
import { IngestRevlintUseCase } from './ingest-revlint.use-case';
import { RevlintBatchDto, revlintIdentityProblems } from './revlint.dto';

/** Revenue Linter (seed 000): `POST /api/v1/events/product`, `Authorization: Bearer <ingest token>`. */
@Controller()
export class RevlintController {
  constructor(private readonly ingest: IngestRevlintUseCase) {}

  @Post('api/v1/events/product')
  @HttpCode(202)
  @IngestRoute('revlint', 'bearer')
  async events(@Ingested() { tenant }: IngestContext, @Body() body: unknown): Promise<{ success: true; accepted: number }> {
    const batch = validateBody(RevlintBatchDto, body, { extraChecks: revlintIdentityProblems });
    const { accepted } = await this.ingest.execute(tenant, batch);
    return { success: true, accepted };
  }
}
