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
 *  - bodies nested deeper than MAX_BODY_DEPTH are refused with 400 right after parsing (the DTO,
 *    secret and email walkers recurse, and would overflow the stack: a 500);
 *  - requests are counted by source and status.
 */
export const MAX_BODY_DEPTH = 64;

/** Whether a parsed JSON value nests arrays/objects deeper than `limit` (iterative: never overflows). */
export function nestedDeeperThan(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= limit) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}

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
  fastify.addHook('preValidation', (request, _reply, done) => {
    if (sourceOfUrl(request.url) !== null && nestedDeeperThan(request.body, MAX_BODY_DEPTH)) {
      done(new IngestError('invalid', [`body: nested deeper than ${MAX_BODY_DEPTH} levels`]));
      return;
    }
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const source = sourceOfUrl(request.url);
    if (source !== null) ingestRequests.inc({ source, status: String(reply.statusCode) });
    done();
  });
  app.useGlobalFilters(new IngestExceptionFilter(app.getHttpAdapter()).withLogger(logger));
}
