import { IsIn, IsOptional, IsString } from 'class-validator';

export type CohortFormat = 'json' | 'csv';
export const COHORT_FORMATS: readonly CohortFormat[] = ['json', 'csv'];

/** `?format=csv` for a CSV export with a header row; JSON otherwise. */
export class CohortQueryDto {
  @IsOptional()
  @IsIn(COHORT_FORMATS as CohortFormat[], { message: 'format: must be json or csv, got $value' })
  format?: CohortFormat;
}

/** `?cursor=…&limit=…&format=csv`: the current members, a page at a time (CSV: all of them). */
export class CohortMembersQueryDto extends CohortQueryDto {
  @IsOptional()
  @IsString()
  cursor?: string;

  @IsOptional()
  @IsString()
  limit?: string;
}

/** `…/history?customerId=…&cursor=…&limit=…&format=csv`: every membership, current and past. */
export class CohortHistoryQueryDto extends CohortMembersQueryDto {
  @IsOptional()
  @IsString()
  customerId?: string;
}
