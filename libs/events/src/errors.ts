export type PoisonReason =
  | 'invalid_json'
  | 'invalid_envelope'
  | 'unknown_event_type'
  | 'unknown_schema_version'
  | 'invalid_body'
  | 'unprocessable';

/**
 * An event that can never be processed as it stands: retrying it gives the same failure. The
 * consumer dead-letters it with the reason and the partition keeps moving.
 */
export class PoisonEventError extends Error {
  override readonly name = 'PoisonEventError';
  constructor(
    readonly reason: PoisonReason,
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
  }
}
