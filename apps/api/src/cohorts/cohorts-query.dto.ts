import { IsIn, IsOptional } from 'class-validator';

export type CohortFormat = 'json' | 'csv';
export const COHORT_FORMATS: readonly CohortFormat[] = ['json', 'csv'];

/** `?format=csv` for a CSV export with a header row; JSON otherwise. */
export class CohortQueryDto {
  @IsOptional()
  @IsIn(COHORT_FORMATS as CohortFormat[], { message: 'format: must be json or csv, got $value' })
  format?: CohortFormat;
}
