import { IsISO8601, IsOptional, Matches } from 'class-validator';

const CURRENCY = /^[A-Za-z]{3}$/;
const CURRENCY_MESSAGE = 'currency must be a 3-letter ISO 4217 code, such as USD (MRR is kept per currency and never summed across currencies)';

/** `GET /v1/mrr?currency=USD` */
export class TenantMrrQueryDto {
  @Matches(CURRENCY, { message: CURRENCY_MESSAGE })
  currency!: string;
}

/**
 * `GET /v1/mrr/movements?currency=USD&from=…&to=…`. from is inclusive; to is exclusive when it is an
 * instant and covers the whole day when it is a date (to=2026-03-31 includes March 31). Both optional.
 */
export class MovementsQueryDto {
  @Matches(CURRENCY, { message: CURRENCY_MESSAGE })
  currency!: string;

  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'from must be an ISO-8601 date or instant, such as 2026-03-01 or 2026-03-01T00:00:00Z' })
  from?: string;

  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'to must be an ISO-8601 date or instant, such as 2026-03-31 or 2026-04-01T00:00:00Z' })
  to?: string;
}
