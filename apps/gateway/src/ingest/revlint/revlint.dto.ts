import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, ValidateNested } from 'class-validator';
import { IsIsoInstant, IsNonEmptyString, OptionalIdentifier, OptionalJsonObject, OptionalNonEmptyString, OptionalString } from '../shared/validators';

/** Events per request at most: a bigger batch is refused whole (400). */
export const MAX_EVENTS_PER_BATCH = 1000;

/** One product event (seed 000). At least one of externalUserId and stripeCustomerId (checked in the use case's extra check). */
export class RevlintEventDto {
  @OptionalIdentifier()
  externalUserId?: string | number | null;

  @OptionalNonEmptyString()
  stripeCustomerId?: string | null;

  @IsNonEmptyString()
  type!: string;

  @IsIsoInstant()
  occurredAt!: string;

  @OptionalJsonObject()
  properties?: Record<string, unknown> | null;

  /** Optional; hashed before it is stored (seed 000: "Email is optional and hashed before storage"). */
  @OptionalString()
  email?: string | null;
}

/** `POST /api/v1/events/product` */
export class RevlintBatchDto {
  @IsArray({ message: 'must be an array of events' })
  @ArrayMinSize(1, { message: 'must contain at least one event' })
  @ArrayMaxSize(MAX_EVENTS_PER_BATCH, { message: `must contain at most ${MAX_EVENTS_PER_BATCH} events` })
  @ValidateNested({ each: true })
  @Type(() => RevlintEventDto)
  events!: RevlintEventDto[];
}

/** Cross-field rule: an event names its customer somehow. */
export function revlintIdentityProblems(batch: RevlintBatchDto): string[] {
  const problems: string[] = [];
  batch.events.forEach((e, i) => {
    if ((e.externalUserId === undefined || e.externalUserId === null) && (e.stripeCustomerId === undefined || e.stripeCustomerId === null)) {
      problems.push(`events[${i}]: needs externalUserId or stripeCustomerId`);
    }
  });
  return problems;
}
