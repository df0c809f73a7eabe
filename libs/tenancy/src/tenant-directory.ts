import type { RevnuBillingModel } from '@revstream/events';
import type { Logger } from '@revstream/observability';
import type { SqlClient } from '@revstream/persistence';
import type { ProductRecord } from './tenancy.repository';
import { hashToken, type TokenKind } from './tokens';

export interface TokenGrant {
  tenantId: string;
  kind: TokenKind;
}

export interface TenantInfo {
  id: string;
  name: string;
  /** Salt for hashing this tenant's customers' emails. */
  emailSalt: string;
}

export type ProductInfo = ProductRecord;

export interface TenantDirectoryOptions {
  /** How often the cache polls for changes (revocations take effect within this). */
  refreshMs: number;
  /** A token or product that is not known is looked up again at most this often. */
  missRefreshMs: number;
  logger?: Logger;
}

interface Row {
  kind: 'tenant' | 'token' | 'product';
  seq: string;
  a: string;
  b: string | null;
  c: string | null;
  d: string | null;
  e: string | null;
  f: string | null;
  g: string | null;
  revoked: boolean;
}

const productKey = (tenantId: string, productId: string): string => `${tenantId}\u0000${productId}`;

/**
 * An in-memory copy of the tenancy tables, kept fresh by polling what changed (by `seq`). Requests
 * are authenticated against memory, without a database round trip; a revoked token disappears at the
 * next poll (every `refreshMs`, 1 s by default). An unknown token triggers one shared, rate-limited
 * poll, so a token created a moment ago works at once and a flood of bad tokens costs nothing.
 */
export class TenantDirectory {
  private readonly tokens = new Map<string, TokenGrant>();
  private readonly tenants = new Map<string, TenantInfo>();
  private readonly products = new Map<string, ProductInfo>();
  private lastSeq = '0';
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private lastMissRefresh = 0;
  private polls = 0;
  private missRefresh: Promise<void> | undefined;

  constructor(
    private readonly db: SqlClient,
    private readonly options: TenantDirectoryOptions = { refreshMs: 1_000, missRefreshMs: 250 },
  ) {}

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => {
      this.refresh().catch((error: unknown) => this.options.logger?.warn({ err: error }, 'tenant directory refresh failed; serving the cached copy'));
    }, this.options.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Polls the changes since the last poll. Concurrent callers share one query. */
  refresh(): Promise<void> {
    this.inFlight ??= this.poll().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async poll(): Promise<void> {
    // Sequence values are taken at write time but become visible at commit, so a slow writer can
    // commit a seq below one already read: re-read a margin behind, and everything now and then.
    const full = ++this.polls % 60 === 0;
    const since = full ? '0' : (BigInt(this.lastSeq) > 100n ? (BigInt(this.lastSeq) - 100n).toString() : '0');
    const rows = await this.db.query<Row>(
      `SELECT * FROM (
       SELECT 'tenant' AS kind, seq, id AS a, name AS b, email_salt AS c, NULL AS d, NULL AS e, NULL AS f, NULL AS g, false AS revoked
         FROM tenancy.tenants WHERE seq > $1::bigint
       UNION ALL
       SELECT 'token', seq, hash, tenant_id, kind, NULL, NULL, NULL, NULL, revoked_at IS NOT NULL
         FROM tenancy.tokens WHERE seq > $1::bigint
       UNION ALL
       SELECT 'product', seq, tenant_id, product_id, model, event_name, currency, unit_amount::text, flat_amount::text, false
         FROM tenancy.products WHERE seq > $1::bigint
       ) changes ORDER BY seq`,
      [since],
    );
    for (const r of rows) {
      switch (r.kind) {
        case 'tenant':
          this.tenants.set(r.a, { id: r.a, name: r.b!, emailSalt: r.c! });
          break;
        case 'token':
          if (r.revoked) this.tokens.delete(r.a);
          else this.tokens.set(r.a, { tenantId: r.b!, kind: r.c as TokenKind });
          break;
        case 'product':
          this.products.set(productKey(r.a, r.b!), {
            tenantId: r.a,
            productId: r.b!,
            model: r.c as RevnuBillingModel,
            eventName: r.d!,
            currency: r.e!,
            unitAmount: r.f === null ? null : Number(r.f),
            flatAmount: r.g === null ? null : Number(r.g),
          });
          break;
      }
      if (BigInt(r.seq) > BigInt(this.lastSeq)) this.lastSeq = r.seq;
    }
  }

  /** One shared poll for all misses, at most one every `missRefreshMs`: a flood of bad tokens costs nothing. */
  private refreshOnMiss(): Promise<void> {
    this.missRefresh ??= (async () => {
      const wait = this.lastMissRefresh + this.options.missRefreshMs - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      this.lastMissRefresh = Date.now();
      await this.refresh();
    })().finally(() => {
      this.missRefresh = undefined;
    });
    return this.missRefresh;
  }

  /** The grant of an active token, when its kind is one of `kinds`; null otherwise. */
  async authenticate(token: string | undefined | null, kinds: readonly TokenKind[]): Promise<TokenGrant | null> {
    if (!token) return null;
    const hash = hashToken(token);
    let grant = this.tokens.get(hash);
    if (grant === undefined) {
      await this.refreshOnMiss().catch(() => undefined);
      grant = this.tokens.get(hash);
    }
    return grant !== undefined && kinds.includes(grant.kind) ? grant : null;
  }

  /** The grant of an active token of any kind (to tell "wrong kind" from "unknown"). */
  async grantOf(token: string | undefined | null): Promise<TokenGrant | null> {
    return this.authenticate(token, ['ingest', 'public', 'secret', 'read']);
  }

  tenant(tenantId: string): TenantInfo | undefined {
    return this.tenants.get(tenantId);
  }

  async product(tenantId: string, productId: string): Promise<ProductInfo | undefined> {
    let product = this.products.get(productKey(tenantId, productId));
    if (product === undefined) {
      await this.refreshOnMiss().catch(() => undefined);
      product = this.products.get(productKey(tenantId, productId));
    }
    return product;
  }
}
