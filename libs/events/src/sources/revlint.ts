import type { JsonObject } from '../json';

/** One product event of a `POST /api/v1/events/product` batch (seed 000). One Kafka record each. */
export interface RevlintProductEventData {
  externalUserId: string | null;
  stripeCustomerId: string | null;
  /** Any string; PREMIUM_FEATURE_USED, API_LIMIT_USED, SEAT_LIMIT_USED, ... */
  type: string;
  /** ISO-8601, as sent. */
  occurredAt: string;
  /** Free-form. Email-looking values anywhere in it are already hashed (see docs/events.md). */
  properties: JsonObject;
  /** Optional; always a salted hash (`emailhash:v1:<hex>`), never the address. */
  email?: string | null;
}

/** The usage/limit pairs Revenue Linter reads (seed 000, "Properties Revenue Linter reads"). */
export const REVLINT_USAGE_LIMIT_KEYS: ReadonlyArray<readonly [usage: string, limit: string]> = [
  ['usage', 'limit'],
  ['currentUsage', 'usageLimit'],
  ['seatsUsed', 'seatLimit'],
  ['quantity', 'max'],
];
