import { IsIn, IsISO8601, IsOptional, IsString, Matches } from 'class-validator';

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

  /** Pages of at most `limit` movements (default 1000); `nextCursor` continues. */
  @IsOptional()
  @IsString()
  cursor?: string;

  @IsOptional()
  @Matches(/^\d{1,4}$/, { message: 'limit must be a whole number from 1 to 5000' })
  limit?: string;
}

/** `GET /v1/mrr/series?currency=USD&interval=day|month&from=…&to=…` (dates, inclusive). */
export class MrrSeriesQueryDto {
  @Matches(CURRENCY, { message: CURRENCY_MESSAGE })
  currency!: string;

  @IsOptional()
  @IsIn(['day', 'month'], { message: 'interval must be day or month' })
  interval?: 'day' | 'month';

  @IsOptional()
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'from must be a date, such as 2026-03-01' })
  from?: string;

  @IsOptional()
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'to must be a date, such as 2026-03-31' })
  to?: string;
}

/** `GET /v1/mrr/breakdown?currency=USD&from=2026-01&to=2026-06` (months, inclusive). */
export class MrrBreakdownQueryDto {
  @Matches(CURRENCY, { message: CURRENCY_MESSAGE })
  currency!: string;

  @IsOptional()
  @Matches(/^\d{4}-\d{2}$/, { message: 'from must be a month, such as 2026-01' })
  from?: string;

  @IsOptional()
  @Matches(/^\d{4}-\d{2}$/, { message: 'to must be a month, such as 2026-06' })
  to?: string;
}

/** `?cursor=…&limit=…` on lists. */
export class PageQueryDto {
  @IsOptional()
  @IsString()
  cursor?: string;

  @IsOptional()
  @Matches(/^\d{1,3}$/, { message: 'limit must be a whole number from 1 to 500' })
  limit?: string;
}
