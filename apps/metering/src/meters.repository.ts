import { int8Array, textArray } from '@revstream/persistence';
import type { ProjectionTx } from '@revstream/projections';
import type { MeterKind, UsageFact } from '@revstream/rating';
import { fromMs } from './sql-time';

/** The meters and Revenium elements readings name, each with the earliest receivedAt among them: gathered reading by reading. */
export class MeterSightings {
  // By tenant, source and meter in nested maps (a batch has millions of readings and a few dozen
  // meters: no key string per reading), keyed for the sorted statements when saved.
  readonly byTenant = new Map<string, Map<string, Map<string, { kind: MeterKind; firstSeen: number }>>>();
  readonly elements = new Map<string, { tenantId: string; sourceId: string; element: string; firstSeen: number }>();

  add(f: UsageFact): void {
    let bySource = this.byTenant.get(f.tenantId);
    if (bySource === undefined) this.byTenant.set(f.tenantId, (bySource = new Map()));
    let byMeter = bySource.get(f.source);
    if (byMeter === undefined) bySource.set(f.source, (byMeter = new Map()));
    const m = byMeter.get(f.meter);
    if (!m) byMeter.set(f.meter, { kind: f.kind, firstSeen: f.receivedAt });
    else if (f.receivedAt < m.firstSeen) m.firstSeen = f.receivedAt;
    if (f.source === 'revenium') {
      const ek = `${f.tenantId}\u0000${f.sourceId ?? ''}\u0000${f.meter}`;
      const e = this.elements.get(ek);
      if (!e) this.elements.set(ek, { tenantId: f.tenantId, sourceId: f.sourceId ?? '', element: f.meter, firstSeen: f.receivedAt });
      else if (f.receivedAt < e.firstSeen) e.firstSeen = f.receivedAt;
    }
  }
}

/**
 * meters and metering_elements: every meter a tenant's usage names (by source), and every Revenium
 * metering element (payload key, per data source), created the first time they are seen. "First
 * seen" is the earliest receivedAt of the readings that counted, from the log, never the wall clock:
 * whatever order the events are read in, it comes out the same.
 */
export class MetersRepository {
  constructor(private readonly tx: ProjectionTx) {}

  async record(facts: readonly UsageFact[]): Promise<void> {
    const sightings = new MeterSightings();
    for (const f of facts) sightings.add(f);
    await this.save(sightings);
  }

  async save(sightings: MeterSightings): Promise<void> {
    const meters = new Map<string, { tenantId: string; meter: string; source: string; kind: MeterKind; firstSeen: number }>();
    for (const [tenantId, bySource] of sightings.byTenant) {
      for (const [source, byMeter] of bySource) {
        for (const [meter, m] of byMeter) meters.set(`${tenantId}\u0000${meter}\u0000${source}`, { tenantId, meter, source, kind: m.kind, firstSeen: m.firstSeen });
      }
    }
    const elements = sightings.elements;
    const sortedMeters = [...meters.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, m]) => m);
    if (sortedMeters.length > 0) {
      await this.tx.query(
        `INSERT INTO ${this.tx.schema}.meters AS m (tenant_id, meter, source, kind, first_seen_at)
         SELECT t, m, s, k, ${fromMs('f')} FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[]) AS i(t, m, s, k, f)
         ON CONFLICT (tenant_id, meter, source) DO UPDATE SET first_seen_at = EXCLUDED.first_seen_at WHERE EXCLUDED.first_seen_at < m.first_seen_at`,
        [textArray(sortedMeters.map((m) => m.tenantId)), textArray(sortedMeters.map((m) => m.meter)), textArray(sortedMeters.map((m) => m.source)), textArray(sortedMeters.map((m) => m.kind)), int8Array(sortedMeters.map((m) => m.firstSeen))],
      );
    }
    const sortedElements = [...elements.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, e]) => e);
    if (sortedElements.length > 0) {
      await this.tx.query(
        `INSERT INTO ${this.tx.schema}.metering_elements AS e (tenant_id, source_id, element, first_seen_at)
         SELECT t, s, e, ${fromMs('f')} FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) AS i(t, s, e, f)
         ON CONFLICT (tenant_id, source_id, element) DO UPDATE SET first_seen_at = EXCLUDED.first_seen_at WHERE EXCLUDED.first_seen_at < e.first_seen_at`,
        [textArray(sortedElements.map((e) => e.tenantId)), textArray(sortedElements.map((e) => e.sourceId)), textArray(sortedElements.map((e) => e.element)), int8Array(sortedElements.map((e) => e.firstSeen))],
      );
    }
  }

  /** The kind of each of a tenant's meters (a gauge if any source reports it as one). */
  async kindsOf(tenantId: string): Promise<Map<string, MeterKind>> {
    const rows = await this.tx.query<{ meter: string; gauge: boolean }>(
      `SELECT meter, bool_or(kind = 'gauge') AS gauge FROM ${this.tx.schema}.meters WHERE tenant_id = $1 GROUP BY meter`,
      [tenantId],
    );
    return new Map(rows.map((r) => [r.meter, r.gauge ? 'gauge' : 'counter']));
  }
}
