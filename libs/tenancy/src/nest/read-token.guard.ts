import { type CanActivate, createParamDecorator, type ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { TenantDirectory } from '../tenant-directory';

interface TenantRequest {
  headers: Record<string, string | string[] | undefined>;
  tenantId?: string;
}

export const bearerToken = (header: string | string[] | undefined): string | null => {
  const value = Array.isArray(header) ? header[0] : header;
  const match = value?.match(/^Bearer\s+(\S+)\s*$/i);
  return match ? match[1]! : null;
};

/** Query API auth: `Authorization: Bearer <read token>`. The tenant it grants is the only one the request sees. */
@Injectable()
export class ReadTokenGuard implements CanActivate {
  constructor(private readonly directory: TenantDirectory) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<TenantRequest>();
    const grant = await this.directory.authenticate(bearerToken(request.headers.authorization), ['read']);
    if (grant === null) throw new UnauthorizedException('a valid read token is required: Authorization: Bearer <read token>');
    request.tenantId = grant.tenantId;
    return true;
  }
}

/** The tenant the request's token grants (set by a token guard). */
export const TenantId = createParamDecorator((_: unknown, context: ExecutionContext): string => {
  const tenantId = context.switchToHttp().getRequest<TenantRequest>().tenantId;
  if (!tenantId) throw new UnauthorizedException('no tenant: the route is missing its token guard');
  return tenantId;
});
