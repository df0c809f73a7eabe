import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { type IngestContext, Ingested, IngestRoute } from '../shared/ingest-auth.guard';
import { validateBody } from '../shared/validate-body';
import { IngestPulsoraUseCase } from './ingest-pulsora.use-case';
import { PulsoraIngestDto, pulsoraAmountProblems, PulsoraRevenueDataDto } from './pulsora.dto';

/**
 * Pulsora (seed 001): `POST /api/ingest`, token in `X-API-Token` or the body's `token`. Revenue needs
 * a `sec_` token (403 with `pub_`); pageview/event/identify take either. 202 `{"success":true}`.
 */
@Controller()
export class PulsoraController {
  constructor(private readonly ingest: IngestPulsoraUseCase) {}

  @Post('api/ingest')
  @HttpCode(202)
  @IngestRoute('pulsora', 'pulsora')
  async ingestEvent(@Ingested() { tenant }: IngestContext, @Body() body: unknown): Promise<{ success: true }> {
    const dto = validateBody(PulsoraIngestDto, body, { credentialKeys: ['token'] });
    if (dto.type === 'revenue') {
      const data = validateBody(PulsoraRevenueDataDto, dto.data, { root: 'data', scanSecrets: false, extraChecks: pulsoraAmountProblems });
      await this.ingest.revenue(tenant, data);
    } else {
      await this.ingest.activity(tenant, dto.type, dto.data);
    }
    return { success: true };
  }
}
