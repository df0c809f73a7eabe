import { type ArgumentsHost, Catch, HttpException } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { KafkaUnavailableError } from '@revstream/kafka';
import type { Logger } from '@revstream/observability';
import { IngestError } from './ingest-error';
import { formatRefusal } from './ingest-error-format';
import { countRefused, eventsInBody } from './ingest-metrics';
import { sourceOfUrl } from './ingest-source';

/** Fastify's own refusals (body too large, unknown content type, malformed JSON, `__proto__`), as typed refusals. */
function fromHttpException(exception: HttpException): IngestError {
  const status = exception.getStatus();
  switch (status) {
    case 413:
      return new IngestError('too_large');
    case 415:
      return new IngestError('unsupported_media_type');
    case 404:
      return new IngestError('not_found', [exception.message]);
    default:
      return status >= 400 && status < 500 ? new IngestError('malformed_json', [`body: ${exception.message}`]) : new IngestError('internal');
  }
}

/**
 * Every error on an ingest path, whoever raised it (Fastify's body parsing, a guard, the DTO step, a
 * use case, Kafka), is answered in the error format of that path's seed API. Other paths (/health,
 * /metrics) keep Nest's default handling.
 */
@Catch()
export class IngestExceptionFilter extends BaseExceptionFilter {
  private logger: Logger | undefined;

  withLogger(logger: Logger): this {
    this.logger = logger;
    return this;
  }

  override catch(exception: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const source = sourceOfUrl(request.url);
    if (source === null) return super.catch(exception, host);
    let error: IngestError;
    if (exception instanceof IngestError) error = exception;
    else if (exception instanceof KafkaUnavailableError) error = new IngestError('kafka_unavailable', [], 5);
    else if (exception instanceof HttpException) error = fromHttpException(exception);
    else {
      error = new IngestError('internal');
      this.logger?.error({ err: exception, url: request.url }, 'unexpected error on an ingest route');
    }
    if (request.method === 'POST') countRefused(source, error.reason, eventsInBody(request.body));
    const { status, body, headers } = formatRefusal(source, error);
    void host.switchToHttp().getResponse<FastifyReply>().status(status).headers(headers).send(body);
  }
}
