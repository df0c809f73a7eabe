import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

/** `GET /v1/usage?customerId=…&meter=…`. customerId is required; meter narrows to one meter. */
export class UsageQueryDto {
  @IsString({ message: 'customerId: must be given once, as a string' })
  @IsNotEmpty({ message: 'customerId: is required (GET /v1/usage?customerId=cus_…)' })
  @MaxLength(200, { message: 'customerId: at most 200 characters' })
  customerId!: string;

  @IsOptional()
  @IsString({ message: 'meter: must be given once, as a string' })
  @IsNotEmpty({ message: 'meter: must not be empty (leave it out for every meter)' })
  @MaxLength(200, { message: 'meter: at most 200 characters' })
  meter?: string;
}
