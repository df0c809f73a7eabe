import { IsInt, IsPositive } from 'class-validator';
import { IsNonEmptyString } from '../shared/validators';

/** `POST /api/v1/usage` (seed 002). */
export class RevnuUsageDto {
  @IsNonEmptyString()
  productId!: string;

  @IsNonEmptyString()
  stripeCustomerId!: string;

  @IsInt({ message: 'must be a positive whole number' })
  @IsPositive({ message: 'must be a positive whole number' })
  value!: number;
}
