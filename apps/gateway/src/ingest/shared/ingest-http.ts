import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from '@revstream/observability';
import { IngestError } from './ingest-error';
import { IngestExceptionFilter } from './ingest-exception.filter';
import { ingestRequests } from './ingest-metrics';
import { sourceOfUrl } from './ingest-source';

/**
 * The HTTP edge shared by every ingest endpoint:
 *  - errors come back in each endpoint's seed format (IngestExceptionFilter), Fastify's own included;
 *  - `text/plain` bodies are parsed as JSON on Pulsora's endpoint (browsers' `navigator.sendBeacon`
 *    sends them so) and refused with 415 elsewhere, like any content type that is not JSON;
 *  - requests are counted by source and status.
 */
const JSON_TYPE = /^\s*application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const TEXT_TYPE = /^\s*text\/plain\s*(?:;|$)/i;

export function installIngestHttp(app: NestFastifyApplication, logger: Logger): void {
  const fastify = app.getHttpAdapter().getInstance();
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('text/plain');
  fastify.addContentTypeParser('text/plain', { parseAs: 'string' }, (request, body, done) => {
    if (sourceOfUrl(request.url) !== 'pulsora') {
      done(Object.assign(new IngestError('unsupported_media_type'), { statusCode: 415 }), undefined);
      return;
    }
    parseJson(request, body as string, done);
  });
  // Only JSON is spoken here: form bodies and anything else are refused before they are parsed.
  fastify.addHook('preParsing', (request, _reply, payload, done) => {
    const source = sourceOfUrl(request.url);
    const type = request.headers['content-type'];
    if (source !== null && type !== undefined && !JSON_TYPE.test(type) && !(source === 'pulsora' && TEXT_TYPE.test(type))) {
      done(new IngestError('unsupported_media_type'), payload);
      return;
    }
    done(null, payload);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const source = sourceOfUrl(request.url);
    if (source !== null) ingestRequests.inc({ source, status: String(reply.statusCode) });
    done();
  });
  app.useGlobalFilters(new IngestExceptionFilter(app.getHttpAdapter()).withLogger(logger));
}
