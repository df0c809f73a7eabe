import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { type IngestContext, Ingested, IngestRoute } from '../shared/ingest-auth.guard';
import { validateBody } from '../shared/validate-body';
import { IngestRevnuUseCase } from './ingest-revnu.use-case';
import { RevnuUsageDto } from './revnu.dto';

/** Revnu (seed 002): `POST /api/v1/usage`, `Authorization: Bearer <ingest token>`; 200 `{success, value, eventName}`. */
@Controller()
export class RevnuController {
  constructor(private readonly ingest: IngestRevnuUseCase) {}

  @Post('api/v1/usage')
  @HttpCode(200)
  @IngestRoute('revnu', 'bearer')
  async usage(@Ingested() { tenant }: IngestContext, @Body() body: unknown): Promise<{ success: true; value: number; eventName: string }> {
    const usage = validateBody(RevnuUsageDto, body);
    return { success: true, ...(await this.ingest.execute(tenant, usage)) };
  }
}
