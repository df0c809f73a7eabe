import { applyDecorators, type CanActivate, createParamDecorator, type ExecutionContext, Injectable, SetMetadata, UseGuards } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { bearerToken, type TenantInfo, type TokenGrant, TenantDirectory, type TokenKind } from '@revstream/tenancy';
import { IngestError } from './ingest-error';
import { IngestRateLimiter } from './ingest-rate-limiter';
import type { IngestSource } from './ingest-source';

/**
 * How each seed API carries its token:
 *  - bearer: `Authorization: Bearer <ingest token>` (Revenue Linter, Revnu, Valued);
 *  - api-key: `x-api-key: <ingest token>` (Revenium);
 *  - pulsora: `X-API-Token` header, else the body's `token`; a `pub_` or `sec_` token, and revenue needs `sec_`.
 */
export type AuthStyle = 'bearer' | 'api-key' | 'pulsora';

interface IngestRouteMeta {
  source: IngestSource;
  auth: AuthStyle;
}

/** What the guard learned about a request: whose it is. */
export interface IngestContext {
  source: IngestSource;
  tenant: TenantInfo;
  grant: TokenGrant;
}

type IngestRequest = FastifyRequest & { ingest?: IngestContext };

const INGEST_ROUTE = 'revstream:ingest-route';

const KINDS: Readonly<Record<AuthStyle, readonly TokenKind[]>> = {
  bearer: ['ingest'],
  'api-key': ['ingest'],
  pulsora: ['public', 'secret'],
};

const header = (request: FastifyRequest, name: string): string | null => {
  const value = request.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first.trim() === '' ? null : first.trim();
};

function tokenOf(style: AuthStyle, request: FastifyRequest): string | null {
  switch (style) {
    case 'bearer':
      return bearerToken(request.headers.authorization);
    case 'api-key':
      return header(request, 'x-api-key');
    case 'pulsora': {
      const fromBody = (request.body as { token?: unknown } | null | undefined)?.token;
      return header(request, 'x-api-token') ?? (typeof fromBody === 'string' && fromBody.length > 0 ? fromBody : null);
    }
  }
}

/**
 * Authenticates against the cached TenantDirectory (no database round trip), then spends one
 * request of the tenant's rate budget. Refusals are IngestErrors, rendered in the source's format.
 */
@Injectable()
export class IngestAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly directory: TenantDirectory,
    private readonly limiter: IngestRateLimiter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const route = this.reflector.get<IngestRouteMeta | undefined>(INGEST_ROUTE, context.getHandler());
    if (route === undefined) throw new Error('IngestAuthGuard on a route without @IngestRoute');
    const request = context.switchToHttp().getRequest<IngestRequest>();
    const grant = await this.directory.authenticate(tokenOf(route.auth, request), KINDS[route.auth]);
    const tenant = grant === null ? undefined : this.directory.tenant(grant.tenantId);
    if (grant === null || tenant === undefined) throw new IngestError('unauthorized');
    if (route.auth === 'pulsora' && grant.kind === 'public' && (request.body as { type?: unknown } | null)?.type === 'revenue') {
      throw new IngestError('forbidden');
    }
    await this.limiter.consume(route.source, tenant.id);
    request.ingest = { source: route.source, tenant, grant };
    return true;
  }
}

/** Marks a handler as an ingest route of a source, authenticated in that source's style. */
export const IngestRoute = (source: IngestSource, auth: AuthStyle): MethodDecorator =>
  applyDecorators(SetMetadata(INGEST_ROUTE, { source, auth } satisfies IngestRouteMeta), UseGuards(IngestAuthGuard));

/** The authenticated tenant of an ingest request. */
export const Ingested = createParamDecorator((_: unknown, context: ExecutionContext): IngestContext => {
  const ingest = context.switchToHttp().getRequest<IngestRequest>().ingest;
  if (ingest === undefined) throw new Error('no ingest context: the route is missing @IngestRoute');
  return ingest;
});
