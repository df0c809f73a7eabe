import type { MeterAggregation } from '@revstream/events';
import { textArray } from '@revstream/persistence';
import type { ProjectionTx } from '@revstream/projections';
import type { MeterPolicy, PriceTerms } from '@revstream/rating';

interface PriceRow {
  tenant_id: string;
  meter: string;
  version: string;
  source: 'revnu' | 'valued';
  ref: string;
  aggregation: MeterAggregation | null;
  currency: string | null;
  terms: PriceTerms | null;
  problem: string | null;
}

export const policyKey = (tenantId: string, meter: string): string => `${tenantId}\u0000${meter}`;

/** meter_prices: the policy (aggregation and price) each meter is rated with, last writer wins. */
export class MeterPricesRepository {
  constructor(private readonly tx: ProjectionTx) {}

  async load(keys: Iterable<{ tenantId: string; meter: string }>): Promise<Map<string, MeterPolicy>> {
    const unique = new Map<string, { tenantId: string; meter: string }>();
    for (const k of keys) unique.set(policyKey(k.tenantId, k.meter), k);
    const out = new Map<string, MeterPolicy>();
    if (unique.size === 0) return out;
    const list = [...unique.values()];
    const rows = await this.tx.query<PriceRow>(
      `SELECT p.* FROM ${this.tx.schema}.meter_prices p
         JOIN unnest($1::text[], $2::text[]) AS k(tenant_id, meter) ON p.tenant_id = k.tenant_id AND p.meter = k.meter`,
      [textArray(list.map((k) => k.tenantId)), textArray(list.map((k) => k.meter))],
    );
    for (const r of rows) {
      out.set(policyKey(r.tenant_id, r.meter), {
        tenantId: r.tenant_id,
        meter: r.meter,
        version: r.version,
        source: r.source,
        ref: r.ref,
        aggregation: r.aggregation,
        price: r.currency !== null && r.terms !== null ? { currency: r.currency, terms: r.terms } : null,
        problem: r.problem,
      });
    }
    return out;
  }

  async save(policies: readonly MeterPolicy[]): Promise<void> {
    if (policies.length === 0) return;
    const sorted = [...policies].sort((a, b) => (policyKey(a.tenantId, a.meter) < policyKey(b.tenantId, b.meter) ? -1 : 1));
    await this.tx.query(
      `INSERT INTO ${this.tx.schema}.meter_prices (tenant_id, meter, version, source, ref, aggregation, currency, terms, problem)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[], $9::text[])
       ON CONFLICT (tenant_id, meter) DO UPDATE SET version = EXCLUDED.version, source = EXCLUDED.source, ref = EXCLUDED.ref,
         aggregation = EXCLUDED.aggregation, currency = EXCLUDED.currency, terms = EXCLUDED.terms, problem = EXCLUDED.problem
       WHERE EXCLUDED.version > meter_prices.version`,
      [
        sorted.map((p) => p.tenantId),
        sorted.map((p) => p.meter),
        sorted.map((p) => p.version),
        sorted.map((p) => p.source),
        sorted.map((p) => p.ref),
        sorted.map((p) => p.aggregation),
        sorted.map((p) => p.price?.currency ?? null),
        sorted.map((p) => (p.price ? JSON.stringify(p.price.terms) : null)),
        sorted.map((p) => p.problem),
      ],
    );
  }
}
