/**
 * Why a request (and every event in it) was refused. Each reason maps to one status; each source
 * renders it in the error format of its seed API (ingest-error-format.ts).
 */
export type RefusalReason =
  | 'invalid'
  | 'secret'
  | 'malformed_json'
  | 'not_metered'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'kafka_unavailable'
  | 'internal';

/** A typed refusal, thrown by guards, the body validator and use cases; mapped to HTTP at the edge. */
export class IngestError extends Error {
  override readonly name = 'IngestError';
  constructor(
    readonly reason: RefusalReason,
    /** What is wrong and where: `events[3].occurredAt: must be an ISO-8601 date`. */
    readonly problems: readonly string[] = [],
    readonly retryAfterSeconds?: number,
  ) {
    super(problems.length > 0 ? `${reason}: ${problems.join('; ')}` : reason);
  }
}
