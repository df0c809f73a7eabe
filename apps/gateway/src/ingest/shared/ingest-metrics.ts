import { counter } from '@revstream/observability';
import type { RefusalReason } from './ingest-error';
import type { IngestSource } from './ingest-source';

/** /metrics: requests by source and status; events accepted, and refused by reason. Produce latency is the publisher's. */
export const ingestRequests = counter('revstream_gateway_requests_total', 'HTTP requests to an ingest endpoint, by source and status', ['source', 'status']);
const eventsAccepted = counter('revstream_gateway_events_accepted_total', 'Events acknowledged by Kafka and answered 2xx, by source', ['source']);
const eventsRefused = counter('revstream_gateway_events_refused_total', 'Events refused (nothing published), by source and reason', ['source', 'reason']);

export const countAccepted = (source: IngestSource, events: number): void => eventsAccepted.inc({ source }, events);
export const countRefused = (source: IngestSource, reason: RefusalReason, events: number): void => eventsRefused.inc({ source, reason }, events);

/** How many events a refused body held: a Revenue Linter batch's length, else one. */
export function eventsInBody(body: unknown): number {
  const events = (body as { events?: unknown } | null | undefined)?.events;
  return Array.isArray(events) && events.length > 0 ? events.length : 1;
}
