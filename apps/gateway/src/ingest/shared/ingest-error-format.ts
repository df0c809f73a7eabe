import type { IngestError, RefusalReason } from './ingest-error';
import type { IngestSource } from './ingest-source';

export interface FormattedRefusal {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

const STATUS: Readonly<Record<RefusalReason, number>> = {
  invalid: 400,
  secret: 400,
  malformed_json: 400,
  not_metered: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  kafka_unavailable: 503,
  internal: 500,
};

/** Sentences for sources whose seed documents no error body, and for problems that have no path. */
const SUMMARY: Readonly<Record<RefusalReason, string>> = {
  invalid: 'Invalid request',
  secret: 'Secret-like values are not accepted',
  malformed_json: 'Malformed JSON body',
  not_metered: 'Product does not support metered billing',
  unauthorized: 'Invalid API token',
  forbidden: 'Forbidden',
  not_found: 'Not found',
  too_large: 'Request body is larger than 1 MiB',
  unsupported_media_type: 'Unsupported content type: send application/json',
  rate_limited: 'Rate limited',
  kafka_unavailable: 'Temporarily unable to store events; retry later',
  internal: 'Internal error',
};

const is400 = (reason: RefusalReason): boolean => STATUS[reason] === 400;

function pulsoraBody(error: IngestError): Record<string, unknown> {
  switch (error.reason) {
    case 'unauthorized':
      return { error: 'Invalid API token' };
    case 'forbidden':
      return { error: 'Revenue events require secret token' };
    case 'rate_limited':
      return { error: 'Rate limited' };
    default:
      // 400s: the seed's `{"message": ...}`, listing every problem; everything else `{"error": ...}`.
      return is400(error.reason)
        ? { message: error.problems.length > 0 ? error.problems.join('; ') : SUMMARY[error.reason] }
        : { error: SUMMARY[error.reason] };
  }
}

function revnuBody(error: IngestError): Record<string, unknown> {
  switch (error.reason) {
    case 'unauthorized':
      return { error: 'Invalid API key' };
    case 'not_found':
      return { error: error.problems[0] ?? 'Product not found' };
    case 'rate_limited':
      return { error: 'Rate limit exceeded' };
    case 'kafka_unavailable':
      return { error: 'Failed to report usage' };
    default:
      return error.problems.length > 0 ? { error: error.problems.join('; '), details: error.problems } : { error: SUMMARY[error.reason] };
  }
}

/** Revenue Linter, Valued, Revenium: the seeds document no error body; `{error, details?}` it is. */
function genericBody(error: IngestError): Record<string, unknown> {
  const summary = error.reason === 'unauthorized' ? 'Invalid API key' : SUMMARY[error.reason];
  return error.problems.length > 0 ? { error: summary, details: error.problems } : { error: summary };
}

/** The status, body and headers a refusal gets on a source's endpoints. */
export function formatRefusal(source: IngestSource, error: IngestError): FormattedRefusal {
  let status = STATUS[error.reason];
  if (source === 'revnu' && error.reason === 'kafka_unavailable') status = 502; // seed 002: "502 Failed to report usage"
  const body = source === 'pulsora' ? pulsoraBody(error) : source === 'revnu' ? revnuBody(error) : genericBody(error);
  const headers: Record<string, string> = {};
  if (error.retryAfterSeconds !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfterSeconds)));
  return { status, body, headers };
}
