import type { ProductRegisteredData } from '@revstream/events';
import type { SqlClient } from '@revstream/persistence';
import { generateToken, hashToken, newEmailSalt, newTenantId, type TokenKind } from './tokens';

export interface CreatedTenant {
  tenantId: string;
  /** Shown once. Only their hashes are stored. */
  tokens: { ingest: string; public: string; secret: string; read: string };
}

/** A tenant's Revnu product, as tenancy.products stores it: the catalog event's data, minus how its meter aggregates (metering's concern). */
export type ProductRecord = Omit<ProductRegisteredData, 'aggregation'> & { tenantId: string };

export class TenantNotFoundError extends Error {
  override readonly name = 'TenantNotFoundError';
}

/** Writes to the tenancy schema. Used by the CLI (and by tests to set up tenants). */
export class TenancyRepository {
  constructor(private readonly db: SqlClient) {}

  async createTenant(name: string): Promise<CreatedTenant> {
    const tenantId = newTenantId();
    const tokens = { ingest: generateToken('ingest'), public: generateToken('public'), secret: generateToken('secret'), read: generateToken('read') };
    await this.db.query(
      `WITH t AS (INSERT INTO tenancy.tenants (id, name, email_salt) VALUES ($1, $2, $3) RETURNING id)
       INSERT INTO tenancy.tokens (hash, tenant_id, kind, hint)
       SELECT h, (SELECT id FROM t), k, hint FROM unnest($4::text[], $5::text[], $6::text[]) AS x(h, k, hint)`,
      [
        tenantId,
        name,
        newEmailSalt(),
        Object.values(tokens).map(hashToken),
        Object.keys(tokens),
        Object.values(tokens).map((t) => `${t.slice(0, 8)}…`),
      ],
    );
    return { tenantId, tokens };
  }

  /** A new token of a kind for an existing tenant. */
  async issueToken(tenantId: string, kind: TokenKind): Promise<string> {
    const token = generateToken(kind);
    const rows = await this.db.query(
      `INSERT INTO tenancy.tokens (hash, tenant_id, kind, hint) SELECT $1, id, $3, $4 FROM tenancy.tenants WHERE id = $2 RETURNING hash`,
      [hashToken(token), tenantId, kind, `${token.slice(0, 8)}…`],
    );
    if (rows.length === 0) throw new TenantNotFoundError(`no tenant ${tenantId}`);
    return token;
  }

  /** Revokes a token. Returns false when no such (unrevoked) token exists. */
  async revokeToken(token: string): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE tenancy.tokens SET revoked_at = now(), seq = nextval('tenancy.directory_seq') WHERE hash = $1 AND revoked_at IS NULL RETURNING hash`,
      [hashToken(token)],
    );
    return rows.length > 0;
  }

  async upsertProduct(p: ProductRecord): Promise<void> {
    const rows = await this.db.query(
      `INSERT INTO tenancy.products (tenant_id, product_id, model, event_name, currency, unit_amount, flat_amount)
       SELECT id, $2, $3, $4, $5, $6, $7 FROM tenancy.tenants WHERE id = $1
       ON CONFLICT (tenant_id, product_id) DO UPDATE SET model = EXCLUDED.model, event_name = EXCLUDED.event_name,
         currency = EXCLUDED.currency, unit_amount = EXCLUDED.unit_amount, flat_amount = EXCLUDED.flat_amount,
         seq = nextval('tenancy.directory_seq')
       RETURNING product_id`,
      [p.tenantId, p.productId, p.model, p.eventName, p.currency, p.unitAmount, p.flatAmount],
    );
    if (rows.length === 0) throw new TenantNotFoundError(`no tenant ${p.tenantId}`);
  }
}
