import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** RFC 9457 problem details. `errors` lists every invalid parameter when there are several. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  errors?: Array<{ path: string; message: string }>;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

function detailOf(response: unknown, fallback: string): { detail: string; errors?: ProblemDetails['errors'] } {
  if (typeof response === 'string') return { detail: response };
  const r = response as { message?: unknown; errors?: ProblemDetails['errors'] };
  if (Array.isArray(r.errors)) return { detail: r.errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors: r.errors };
  if (Array.isArray(r.message)) return { detail: r.message.join('; ') };
  if (typeof r.message === 'string') return { detail: r.message };
  return { detail: fallback };
}

/** Every error of the query API as `application/problem+json` (RFC 9457). Unexpected errors are 500 with no internals. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('api');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const fastifyStatus = (exception as { statusCode?: unknown }).statusCode;
    const status =
      exception instanceof HttpException
        ? exception.getStatus()
        : typeof fastifyStatus === 'number' && fastifyStatus >= 400 && fastifyStatus < 500
          ? fastifyStatus
          : HttpStatus.INTERNAL_SERVER_ERROR;
    if (status >= 500) this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    const { detail, errors } =
      exception instanceof HttpException
        ? detailOf(exception.getResponse(), exception.message)
        : status < 500 && exception instanceof Error
          ? { detail: exception.message }
          : { detail: 'an unexpected error occurred' };
    const problem: ProblemDetails = {
      type: status === 404 ? 'https://revstream.dev/problems/not-found' : `https://revstream.dev/problems/http-${status}`,
      title: TITLES[status] ?? 'Error',
      status,
      detail,
      instance: request.url,
      ...(errors ? { errors } : {}),
    };
    void reply.status(status).header('content-type', 'application/problem+json; charset=utf-8').send(problem);
  }
}
