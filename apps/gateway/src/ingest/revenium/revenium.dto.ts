import { IsIn, IsOptional, IsString, ValidateIf } from 'class-validator';
import { REVENIUM_SOURCE_TYPES, type ReveniumSourceType } from '@revstream/events';
import { IsMetricMap, IsNonEmptyString } from '../shared/validators';

const notNull = (_: object, v: unknown): boolean => v !== null;

/** `POST /meter/v2/events` (seed 004). */
export class ReveniumMeterDto {
  @IsNonEmptyString()
  transactionId!: string;

  @IsMetricMap()
  payload!: Record<string, number>;

  @IsOptional() @ValidateIf(notNull) @IsString({ message: 'must be a string' })
  sourceId?: string | null;

  @IsOptional() @ValidateIf(notNull) @IsString({ message: 'must be a string' })
  subscriberCredential?: string | null;

  @IsOptional() @ValidateIf(notNull)
  @IsIn(REVENIUM_SOURCE_TYPES as ReveniumSourceType[], { message: `must be one of ${REVENIUM_SOURCE_TYPES.join(', ')}` })
  sourceType?: ReveniumSourceType | null;
}
