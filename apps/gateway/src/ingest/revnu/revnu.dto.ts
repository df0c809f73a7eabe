import { IsInt, IsPositive } from 'class-validator';
import { IsNonEmptyString, IsSafeMagnitude } from '../shared/validators';

/** `POST /api/v1/usage` (seed 002). */
export class RevnuUsageDto {
  @IsNonEmptyString()
  productId!: string;

  @IsNonEmptyString()
  stripeCustomerId!: string;

  @IsInt({ message: 'must be a positive whole number' })
  @IsPositive({ message: 'must be a positive whole number' })
  // Above 2^53 - 1 a JSON number is no longer an exact whole number (1e21, 1.8e308 are "integers").
  @IsSafeMagnitude()
  value!: number;
}
