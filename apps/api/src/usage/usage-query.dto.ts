import { ApiPropertyOptional, ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

/** `GET /v1/usage?customerId=…&meter=…`: customerId is required; meter narrows to one meter. */
export class UsageQueryDto {
  @ApiProperty({ description: 'The customer (the Stripe customer id where the source has one)', example: 'cus_42' })
  @IsString({ message: 'must be given once, as a string' })
  @IsNotEmpty({ message: 'is required (GET /v1/usage?customerId=cus_…)' })
  @MaxLength(200, { message: 'at most 200 characters' })
  customerId!: string;

  @ApiPropertyOptional({ description: 'One meter only (every meter of the customer when left out)', example: 'api_calls' })
  @IsOptional()
  @IsString({ message: 'must be given once, as a string' })
  @IsNotEmpty({ message: 'must not be empty (leave it out for every meter)' })
  @MaxLength(200, { message: 'at most 200 characters' })
  meter?: string;
}

/** `GET /v1/usage/periods`: every customer's periods, most recent first, a page at a time. */
export class UsagePeriodsQueryDto {
  @ApiPropertyOptional({ description: 'One customer only', example: 'cus_42' })
  @IsOptional()
  @IsString({ message: 'must be given once, as a string' })
  @IsNotEmpty({ message: 'must not be empty (leave it out for every customer)' })
  @MaxLength(200, { message: 'at most 200 characters' })
  customerId?: string;

  @ApiPropertyOptional({ description: 'One meter only', example: 'api_calls' })
  @IsOptional()
  @IsString({ message: 'must be given once, as a string' })
  @IsNotEmpty({ message: 'must not be empty (leave it out for every meter)' })
  @MaxLength(200, { message: 'at most 200 characters' })
  meter?: string;

  @ApiPropertyOptional({ description: 'The nextCursor of the previous page' })
  @IsOptional()
  @IsString({ message: 'must be given once, as a string' })
  cursor?: string;

  @ApiPropertyOptional({ description: '1 to 500, default 50' })
  @IsOptional()
  @IsString({ message: 'must be given once' })
  limit?: string;
}
