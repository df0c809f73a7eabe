import { Type } from 'class-transformer';
import { IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, Min, ValidateIf, ValidateNested } from 'class-validator';
import { PRICE_INTERVALS, type PriceInterval, SUBSCRIPTION_STATUSES, type SubscriptionStatus } from '@revstream/events';
import { IsCurrencyCode, IsNonEmptyString, IsSafeMagnitude, IsTierBound } from '../shared/validators';

/**
 * Valued `category: "revenue"` bodies (seed 003). Timestamps are Unix seconds and amounts integer
 * minor units, as in the seed. Optional fields accept null. Fields the seed does not name are dropped.
 */
const notNull = (_: object, v: unknown): boolean => v !== null;
const oneOf = (values: readonly string[]) => IsIn(values as string[], { message: `must be one of ${values.join(', ')}` });
const UNIX_SECONDS = { message: 'must be a Unix timestamp in seconds (an integer)' };
const MINOR_UNITS = { message: 'must be an integer amount in minor units (999 for 9.99)' };

export class ValuedCustomerDto {
  @IsNonEmptyString() id!: string;
  @IsOptional() @ValidateIf(notNull) @IsString({ message: 'must be a string' }) email?: string | null;
  @IsOptional() @ValidateIf(notNull) @IsString({ message: 'must be a string' }) name?: string | null;
  @IsOptional() @ValidateIf(notNull) @IsNonEmptyString() stripe_customer_id?: string | null;
}

export class ValuedSubscriptionDto {
  @IsNonEmptyString() source_key!: string;
  @IsOptional() @ValidateIf(notNull) @IsInt(UNIX_SECONDS) started_at?: number | null;
  @oneOf(SUBSCRIPTION_STATUSES) status!: SubscriptionStatus;
  @IsCurrencyCode() currency!: string;
  @IsOptional() @ValidateIf(notNull) @IsInt(UNIX_SECONDS) current_period_start?: number | null;
  @IsOptional() @ValidateIf(notNull) @IsInt(UNIX_SECONDS) current_period_end?: number | null;
  @IsOptional() @ValidateIf(notNull) @IsInt(UNIX_SECONDS) trial_end?: number | null;
  @IsOptional() @ValidateIf(notNull) @IsInt(UNIX_SECONDS) canceled_at?: number | null;
  @IsOptional() @ValidateIf(notNull) @IsInt(UNIX_SECONDS) ended_at?: number | null;
}

export class ValuedPriceTierDto {
  @IsOptional() @ValidateIf(notNull) @IsInt(MINOR_UNITS) @IsSafeMagnitude() unit_amount?: number | null;
  @IsOptional() @ValidateIf(notNull) @IsInt(MINOR_UNITS) @IsSafeMagnitude() flat_amount?: number | null;
  @IsOptional() @IsTierBound() up_to?: number | 'inf' | null;
}

export class ValuedPriceDto {
  @IsOptional() @ValidateIf(notNull) @IsNonEmptyString() source_key?: string | null;
  @IsOptional() @ValidateIf(notNull) @IsNonEmptyString() id?: string | null;
  @IsOptional() @ValidateIf(notNull) @IsString({ message: 'must be a string' }) plan?: string | null;
  @IsOptional() @ValidateIf(notNull) @IsString({ message: 'must be a string' }) name?: string | null;
  @IsOptional() @ValidateIf(notNull) @oneOf(PRICE_INTERVALS) interval?: PriceInterval | null;
  @IsOptional() @ValidateIf(notNull) @IsInt({ message: 'must be a positive integer' }) @Min(1, { message: 'must be a positive integer' }) interval_count?: number | null;
  @IsOptional() @ValidateIf(notNull) @oneOf(['recurring', 'one_time']) type?: 'recurring' | 'one_time' | null;
  @IsOptional() @ValidateIf(notNull) @oneOf(['per_unit', 'tiered']) billing_scheme?: 'per_unit' | 'tiered' | null;
  @IsOptional() @ValidateIf(notNull) @oneOf(['graduated', 'volume']) tiers_mode?: 'graduated' | 'volume' | null;
  @IsOptional() @ValidateIf(notNull) @oneOf(['licensed', 'metered']) usage_type?: 'licensed' | 'metered' | null;
  @IsCurrencyCode() currency!: string;
  @IsOptional() @ValidateIf(notNull) @IsInt(MINOR_UNITS) @IsSafeMagnitude() unit_amount?: number | null;
  @IsOptional() @ValidateIf(notNull) @IsBoolean({ message: 'must be a boolean' }) active?: boolean | null;
  @IsOptional() @ValidateIf(notNull) @IsArray({ message: 'must be an array of tiers' }) @ValidateNested({ each: true }) @Type(() => ValuedPriceTierDto)
  tiers?: ValuedPriceTierDto[] | null;
}

export class ValuedPlanDto {
  @IsOptional() @ValidateIf(notNull) @IsNonEmptyString() source_key?: string | null;
  @IsOptional() @ValidateIf(notNull) @IsNonEmptyString() id?: string | null;
  @IsOptional() @ValidateIf(notNull) @IsString({ message: 'must be a string' }) name?: string | null;
  @IsOptional() @ValidateIf(notNull) @IsBoolean({ message: 'must be a boolean' }) active?: boolean | null;
  @IsOptional() @ValidateIf(notNull) @ValidateNested() @Type(() => ValuedPriceDto) price?: ValuedPriceDto | null;
}

export class ValuedSubscriptionItemDto {
  @IsNonEmptyString() source_key!: string;
  @IsOptional() @ValidateIf(notNull) @IsInt({ message: 'must be a non-negative integer' }) @Min(0, { message: 'must be a non-negative integer' }) quantity?: number | null;
  @IsOptional() @ValidateIf(notNull) @ValidateNested() @Type(() => ValuedPlanDto) plan?: ValuedPlanDto | null;
  @IsOptional() @ValidateIf(notNull) @ValidateNested() @Type(() => ValuedPriceDto) price?: ValuedPriceDto | null;
}

export class ValuedInvoiceItemDto {
  @IsNonEmptyString() source_key!: string;
  @IsOptional() @ValidateIf(notNull) @IsInt({ message: 'must be an integer' }) quantity?: number | null;
  @IsInt(MINOR_UNITS) @IsSafeMagnitude() amount!: number;
  @IsOptional() @ValidateIf(notNull) @IsString({ message: 'must be a string' }) description?: string | null;
  @IsOptional() @ValidateIf(notNull) @IsInt(MINOR_UNITS) @IsSafeMagnitude() amount_excluding_tax?: number | null;
  @IsOptional() @ValidateIf(notNull) @IsBoolean({ message: 'must be a boolean' }) proration?: boolean | null;
  @IsOptional() @ValidateIf(notNull) @IsInt(UNIX_SECONDS) period_start?: number | null;
  @IsOptional() @ValidateIf(notNull) @IsInt(UNIX_SECONDS) period_end?: number | null;
}

export class ValuedInvoiceDto {
  @IsNonEmptyString() source_key!: string;
  @IsOptional() @ValidateIf(notNull) @IsString({ message: 'must be a string' }) subscription?: string | null;
  @IsInt(MINOR_UNITS) @IsSafeMagnitude() total!: number;
  @IsCurrencyCode() currency!: string;
  @IsNonEmptyString() status!: string;
  @IsOptional() @ValidateIf(notNull) @IsInt(UNIX_SECONDS) finalized_at?: number | null;
  @IsOptional() @ValidateIf(notNull) @IsInt(UNIX_SECONDS) paid_at?: number | null;
  @IsOptional() @ValidateIf(notNull) @IsInt(MINOR_UNITS) @IsSafeMagnitude() subtotal?: number | null;
  @IsOptional() @ValidateIf(notNull) @IsInt(MINOR_UNITS) @IsSafeMagnitude() discount?: number | null;
  @IsOptional() @ValidateIf(notNull) @IsInt(MINOR_UNITS) @IsSafeMagnitude() tax?: number | null;
  @IsOptional() @ValidateIf(notNull) @IsArray({ message: 'must be an array of invoice items' }) @ValidateNested({ each: true }) @Type(() => ValuedInvoiceItemDto)
  invoice_items?: ValuedInvoiceItemDto[] | null;
}

/** `POST /events` with `category: "revenue"`. */
export class ValuedRevenueDto {
  @IsIn(['revenue'], { message: 'must be "revenue"' }) category!: 'revenue';
  @IsOptional() @ValidateIf(notNull) @ValidateNested() @Type(() => ValuedCustomerDto) customer?: ValuedCustomerDto | null;
  @IsOptional() @ValidateIf(notNull) @ValidateNested() @Type(() => ValuedSubscriptionDto) subscription?: ValuedSubscriptionDto | null;
  @IsOptional() @ValidateIf(notNull) @IsArray({ message: 'must be an array of subscription items' }) @ValidateNested({ each: true }) @Type(() => ValuedSubscriptionItemDto)
  subscription_items?: ValuedSubscriptionItemDto[] | null;
  @IsOptional() @ValidateIf(notNull) @ValidateNested() @Type(() => ValuedInvoiceDto) invoice?: ValuedInvoiceDto | null;
  @IsOptional() @ValidateIf(notNull) @ValidateNested() @Type(() => ValuedPlanDto) plan?: ValuedPlanDto | null;
  @IsOptional() @ValidateIf(notNull) @ValidateNested() @Type(() => ValuedPriceDto) price?: ValuedPriceDto | null;
}

const present = (v: unknown): boolean => v !== undefined && v !== null;

/**
 * The seed: "All revenue events require a customer and a subscription", yet its plan/price sync
 * example carries neither. So: a body is either a customer's revenue event (customer and
 * subscription, optionally items and an invoice), or a catalog sync (plan and/or price, nothing else).
 */
export function valuedShapeProblems(dto: ValuedRevenueDto): string[] {
  const revenue = present(dto.customer) || present(dto.subscription) || present(dto.subscription_items) || present(dto.invoice);
  const sync = present(dto.plan) || present(dto.price);
  if (!revenue && !sync) return ['body: needs a customer and a subscription (or, to sync the catalog, a plan and/or a price)'];
  if (!revenue) {
    const problems: string[] = [];
    if (present(dto.plan) && !present(dto.plan!.id) && !present(dto.plan!.source_key)) problems.push('plan: needs an id');
    if (present(dto.price) && !present(dto.price!.id) && !present(dto.price!.source_key)) problems.push('price: needs an id');
    return problems;
  }
  const problems: string[] = [];
  if (!present(dto.customer)) problems.push('customer: is required with a subscription, its items or an invoice');
  if (!present(dto.subscription)) problems.push('subscription: is required with a customer, subscription items or an invoice');
  if (sync) problems.push('body: a catalog sync (plan, price) is sent on its own, without customer or subscription');
  return problems;
}
