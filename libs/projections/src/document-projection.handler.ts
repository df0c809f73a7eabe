import { type DocumentProjection, type JsonValue, type DomainEvent, EVENT_TYPES, type EventType, PoisonEventError, type TopicName } from '@revstream/events';
import { textArray } from '@revstream/persistence';
import type { ProjectionHandler, RejectedEvent } from './projection-handler';
import type { ProjectionTx } from './projection-tx';
import { jsonEqual, ReadModelDiff, type ReadModel, type RenderedRows } from './read-model';

export interface DocumentHandlerOptions {
  /**
   * Documents (state and rendering) kept in memory after this instance writes them, so the next batch
   * that touches one skips loading, parsing and rendering it again. Bounded, least recently used first
   * out; 0 (the default) turns it off. Each entry costs roughly its document's size twice (state and
   * rows), and it is off by default because for billing that costs more than it saves: the cached
   * objects live long enough to be promoted and marked by every major GC (bench:billing, 200k events:
   * 126-141 µs of CPU per event without it, 147-158 µs with it; docs/performance-billing.md).
   */
  readonly cacheSize?: number;
}

export const DEFAULT_DOCUMENT_CACHE_SIZE = 0;

/** Documents per upsert statement: bounds the two text[] parameters (Postgres caps a value at 1 GB) and the buffers that build them. */
const DOCUMENTS_PER_STATEMENT = 10_000;

interface Loaded<S> {
  readonly state: S;
  /** Its rendering, when the cache has it. */
  readonly rendered: RenderedRows | undefined;
}

interface CachedDocument<S> {
  /** The xmin of the row version this instance wrote: the transaction (or subtransaction) that wrote it. */
  readonly xmin: string;
  readonly state: S;
  readonly rendered: RenderedRows;
}

/**
 * The documents this instance last wrote, per schema and key, least recently used first. An entry is
 * only ever used after the row's xmin proved it is still the version we wrote: another instance (a
 * rebalance), a rolled-back transaction, or a rebuilt schema all leave a different xmin.
 */
class DocumentCache<S> {
  private readonly entries = new Map<string, CachedDocument<S>>();
  constructor(private readonly capacity: number) {}

  get enabled(): boolean {
    return this.capacity > 0;
  }

  get(schema: string, key: string): CachedDocument<S> | undefined {
    const id = `${schema}\u0000${key}`;
    const entry = this.entries.get(id);
    if (entry !== undefined) {
      this.entries.delete(id);
      this.entries.set(id, entry);
    }
    return entry;
  }

  set(schema: string, key: string, entry: CachedDocument<S>): void {
    if (this.capacity <= 0) return;
    const id = `${schema}\u0000${key}`;
    this.entries.delete(id);
    this.entries.set(id, entry);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }

  delete(schema: string, key: string): void {
    this.entries.delete(`${schema}\u0000${key}`);
  }
}

const defaultDedupKey = (event: DomainEvent): string => `event:${event.metadata.eventId}`;

/**
 * The one adapter for document projections. Per batch, inside the runner's transaction:
 *  1. claims each event's dedup key (a repeat, across batches, restarts and replays, is a no-op);
 *  2. locks and loads the documents the batch touches (two instances never interleave on one);
 *  3. folds the events into each document with the projection's pure `evolve`;
 *  4. writes the read-model rows that changed, and the documents.
 * An event whose evolve throws is rejected (dead-lettered) and its document stays as it was.
 */
export function documentProjectionHandler<S, E extends DomainEvent>(
  projection: DocumentProjection<S, E>,
  readModel: ReadModel<S>,
  options: DocumentHandlerOptions = {},
): ProjectionHandler {
  const handles = new Set<string>(projection.canHandle);
  const cache = new DocumentCache<S>(options.cacheSize ?? DEFAULT_DOCUMENT_CACHE_SIZE);
  const dedupKeyOf = (event: E): string =>
    `${projection.name}|${event.metadata.tenantId}|${(projection.dedupKey ?? defaultDedupKey)(event)}`;

  return {
    name: projection.name,
    version: projection.version,
    eventTypes: projection.canHandle as readonly EventType[],

    async apply(events: readonly DomainEvent[], tx: ProjectionTx): Promise<{ rejected: RejectedEvent[] }> {
      const candidates: Array<{ event: E; key: string; dedup: string }> = [];
      for (const event of events) {
        if (!handles.has(event.type)) continue;
        const key = projection.keyOf(event as E);
        if (key === null) continue;
        candidates.push({ event: event as E, key, dedup: dedupKeyOf(event as E) });
      }
      if (candidates.length === 0) return { rejected: [] };

      // 1. Claim dedup keys. Only the first claim of a key, in the first batch that sees it, applies.
      const claimed = new Set(
        (
          await tx.query<{ key: string }>(
            `INSERT INTO ${tx.schema}.processed_keys (key) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING RETURNING key`,
            [textArray([...new Set(candidates.map((c) => c.dedup))])],
          )
        ).map((r) => r.key),
      );
      // Every occurrence of a claimed key stays a candidate, in log order: the first that applies
      // wins and later ones are repeats; an occurrence that is rejected leaves the key to the next one.
      // So the outcome never depends on where the batch boundaries fall.
      const eligible = candidates.filter((c) => claimed.has(c.dedup));
      if (eligible.length === 0) return { rejected: [] };

      // 2. Lock and load the documents the batch touches, with row locks in key order (two instances never
      //    interleave on one, and two transactions never deadlock). Row locks live in the rows, not in
      //    Postgres's shared lock table: an advisory lock per document took a slot each, and a few
      //    concurrent batches of thousands of documents exhausted it ("out of shared memory").
      //    A document seen for the first time gets a placeholder row (JSON null) to lock.
      const keys = [...new Set(eligible.map((c) => c.key))].sort();
      await tx.query(
        `INSERT INTO ${tx.schema}.documents (projection, key, state)
         SELECT $1, k, 'null' FROM unnest($2::text[]) AS k ORDER BY k ON CONFLICT DO NOTHING`,
        [projection.name, textArray(keys)],
      );
      // Only documents this instance did not write last (or no longer holds) come back with their state:
      // a cached document is current exactly when the row's xmin is still the one our write returned.
      // (A snapshot: concurrent batches of other partitions may evict entries while this one waits.)
      const hits = new Map<string, CachedDocument<S>>();
      for (const key of keys) {
        const hit = cache.get(tx.schema, key);
        if (hit !== undefined) hits.set(key, hit);
      }
      const loaded = new Map<string, Loaded<S>>();
      for (const row of await tx.query<{ key: string; placeholder: boolean; state: string | null }>(
        `SELECT d.key, d.state = 'null' AS placeholder, CASE WHEN d.xmin::text = c.x THEN NULL ELSE d.state END AS state
           FROM ${tx.schema}.documents d LEFT JOIN unnest($3::text[], $4::text[]) AS c(k, x) ON c.k = d.key
          WHERE d.projection = $1 AND d.key = ANY($2::text[])
          ORDER BY d.key FOR UPDATE OF d`,
        [projection.name, textArray(keys), textArray([...hits.keys()]), textArray([...hits.values()].map((h) => h.xmin))],
      )) {
        if (row.placeholder) continue; // a new document
        const hit = hits.get(row.key);
        if (row.state === null && hit !== undefined) loaded.set(row.key, { state: hit.state, rendered: hit.rendered });
        else if (row.state !== null) loaded.set(row.key, { state: JSON.parse(row.state) as S, rendered: undefined });
      }
      for (const key of hits.keys()) if (!loaded.has(key)) cache.delete(tx.schema, key); // the row is gone (a new schema)

      // 3. Evolve, in log order across the batch.
      const states = new Map<string, S>();
      const applied = new Set<string>();
      const rejected: RejectedEvent[] = [];
      for (const { event, key, dedup } of eligible) {
        if (applied.has(dedup)) continue; // a repeat of an event that applied
        const state = states.get(key) ?? loaded.get(key)?.state ?? projection.initialState();
        try {
          states.set(key, projection.evolve(state, event));
          applied.add(dedup);
        } catch (error) {
          const poison = error instanceof PoisonEventError ? error : undefined;
          rejected.push({
            event,
            reason: poison?.reason ?? 'unprocessable',
            detail: poison?.detail ?? (error instanceof Error ? error.message : String(error)),
          });
        }
      }

      // 4. Render and diff.
      const diff = new ReadModelDiff(readModel.tables);
      const changed: Array<{ key: string; state: S; rendered: RenderedRows }> = [];
      for (const key of keys) {
        const state = states.get(key);
        if (state === undefined) continue; // every event for it was rejected
        const before = loaded.get(key);
        if (before !== undefined && jsonEqual(state as JsonValue, before.state as JsonValue)) continue;
        const rendered = readModel.render(key, state);
        diff.add(before?.rendered ?? readModel.render(key, before?.state ?? projection.initialState()), rendered);
        changed.push({ key, state, rendered });
      }
      if (changed.length > 0) {
        // Keys and texts as two binary text[] parameters (textArray): no escaping, one copy into pg's
        // writer, and no VALUES list of 20,000 parameters for Postgres to parse and plan. (A text
        // parameter per document made pg grow its writer by copying, about 3% of the process's CPU;
        // a text[] literal before that made it escape every quote.)
        // The row versions' xmin only matter to the cache: without one, nothing comes back.
        const caching = cache.enabled;
        const written: Array<{ key: string; xmin: string }> = [];
        for (let from = 0; from < changed.length; from += DOCUMENTS_PER_STATEMENT) {
          const slice = changed.slice(from, from + DOCUMENTS_PER_STATEMENT);
          const rows = await tx.query<{ key: string; xmin: string }>(
            `INSERT INTO ${tx.schema}.documents (projection, key, state)
             SELECT $1, d.k, d.s FROM unnest($2::text[], $3::text[]) AS d(k, s)
             ON CONFLICT (projection, key) DO UPDATE SET state = EXCLUDED.state${caching ? ' RETURNING key, xmin::text AS xmin' : ''}`,
            [projection.name, textArray(slice.map((c) => c.key)), textArray(slice.map((c) => JSON.stringify(c.state)))],
          );
          if (caching) written.push(...rows);
        }
        if (caching) {
          // Kept even if this transaction rolls back: the row then keeps its old xmin, so the entry never matches.
          const xminOf = new Map(written.map((r) => [r.key, r.xmin]));
          for (const c of changed) cache.set(tx.schema, c.key, { xmin: xminOf.get(c.key)!, state: c.state, rendered: c.rendered });
        }
      }
      // A new document none of whose events applied leaves no row behind.
      const unwritten = keys.filter((k) => !loaded.has(k) && !states.has(k));
      if (unwritten.length > 0) {
        await tx.query(`DELETE FROM ${tx.schema}.documents WHERE projection = $1 AND key = ANY($2::text[]) AND state = 'null'`, [projection.name, textArray(unwritten)]);
      }
      // A key none of whose occurrences applied is free again, so a corrected resend is not a "duplicate".
      const released = [...claimed].filter((k) => !applied.has(k));
      if (released.length > 0) {
        await tx.query(`DELETE FROM ${tx.schema}.processed_keys WHERE key = ANY($1::text[])`, [textArray(released)]);
      }
      // Last: the additive tables' rows are shared by every document, and locked until the commit.
      await diff.write(tx);
      return { rejected };
    },
  };
}

/** The topics a handler's event types live on. */
export const topicsOf = (eventTypes: readonly EventType[]): TopicName[] => [...new Set(eventTypes.map((t) => EVENT_TYPES[t].topic))];
