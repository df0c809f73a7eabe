import { IsBoolean, IsIn, IsNumber, IsOptional, IsString, ValidateIf } from 'class-validator';
import { PULSORA_ACTIVITY_KINDS, PULSORA_REVENUE_EVENT_TYPES, type PulsoraRevenueEventType } from '@revstream/events';
import { FitsCurrency, FitsMinorUnits, IsCurrencyCode, IsJsonObject, IsNonEmptyString } from '../shared/validators';

export const PULSORA_TYPES = ['revenue', ...PULSORA_ACTIVITY_KINDS] as const;
export type PulsoraType = (typeof PULSORA_TYPES)[number];

/** Event types whose amount may be negative (seed 001: "For churn/refund, send a negative mrr_impact / amount if needed"). */
export const SIGNED_AMOUNT_TYPES: readonly PulsoraRevenueEventType[] = ['churn', 'refund'];

const notNull = (_: object, v: unknown): boolean => v !== null;

/** The `data` of a revenue event: the seed's "Accepted Fields" table. */
export class PulsoraRevenueDataDto {
  @IsNonEmptyString()
  visitor_fingerprint!: string;

  @IsNonEmptyString()
  session_id!: string;

  @IsNonEmptyString()
  customer_id!: string;

  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'must be a number' })
  @FitsCurrency('currency')
  @FitsMinorUnits('currency')
  amount!: number;

  @IsOptional() @ValidateIf(notNull) @IsCurrencyCode()
  currency?: string | null;

  @IsNonEmptyString()
  transaction_id!: string;

  @IsOptional() @ValidateIf(notNull) @IsString({ message: 'must be a string' })
  payment_processor?: string | null;

  @IsOptional() @ValidateIf(notNull) @IsIn(PULSORA_REVENUE_EVENT_TYPES as PulsoraRevenueEventType[], { message: `must be one of ${PULSORA_REVENUE_EVENT_TYPES.join(', ')}` })
  event_type?: PulsoraRevenueEventType | null;

  @IsOptional() @ValidateIf(notNull) @IsString({ message: 'must be a string' })
  customer_subscription_id?: string | null;

  @IsOptional() @ValidateIf(notNull)
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'must be a number' })
  @FitsCurrency('currency')
  @FitsMinorUnits('currency')
  mrr_impact?: number | null;

  @IsOptional() @ValidateIf(notNull) @IsBoolean({ message: 'must be a boolean' })
  is_recurring?: boolean | null;

  @IsOptional() @ValidateIf(notNull) @IsJsonObject()
  metadata?: Record<string, unknown> | null;
}

/** `POST /api/ingest`: `{type, token, data}`. The token authenticates and is never stored. */
export class PulsoraIngestDto {
  @IsIn(PULSORA_TYPES as unknown as string[], { message: `must be one of ${PULSORA_TYPES.join(', ')}` })
  type!: PulsoraType;

  @IsOptional() @IsString({ message: 'must be a string' })
  token?: string;

  /** Any JSON object here; revenue data is then validated with PulsoraRevenueDataDto. */
  @IsJsonObject()
  data!: Record<string, unknown>;
}

/** Cross-field rule: amounts are not negative, except for churn and refund, which may be. */
export function pulsoraAmountProblems(data: PulsoraRevenueDataDto): string[] {
  const signed = data.event_type != null && SIGNED_AMOUNT_TYPES.includes(data.event_type);
  if (!signed && data.amount < 0) return [`data.amount: must not be negative for ${data.event_type ?? 'revenue'} events (only churn and refund may carry a negative amount)`];
  return [];
}
