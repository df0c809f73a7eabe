import { type DocumentProjection, type DomainEvent, EVENT_TYPES, type EventType, PoisonEventError, type TopicName } from '@revstream/events';
import type { ProjectionHandler, RejectedEvent } from './projection-handler';
import type { ProjectionTx } from './projection-tx';
import { ReadModelDiff, type ReadModel } from './read-model';

/** FNV-1a 64-bit, as a signed bigint string: the advisory lock id of a document. */
function lockKey(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return BigInt.asIntN(64, h).toString();
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
): ProjectionHandler {
  const handles = new Set<string>(projection.canHandle);
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
            [[...new Set(candidates.map((c) => c.dedup))]],
          )
        ).map((r) => r.key),
      );
      const byDocument = new Map<string, Array<{ event: E; dedup: string }>>();
      for (const c of candidates) {
        if (!claimed.delete(c.dedup)) continue; // already applied, or a repeat within this batch
        const list = byDocument.get(c.key);
        if (list) list.push(c);
        else byDocument.set(c.key, [c]);
      }
      if (byDocument.size === 0) return { rejected: [] };

      // 2. Lock (in a global order, so two transactions never deadlock) and load the documents.
      const keys = [...byDocument.keys()].sort();
      const lockIds = [...new Set(keys.map((k) => lockKey(`${projection.name}|${k}`)))].sort();
      await tx.query(`SELECT pg_advisory_xact_lock(id) FROM (SELECT unnest($1::bigint[]) AS id ORDER BY 1) ids`, [lockIds]);
      const loaded = new Map(
        (
          await tx.query<{ key: string; state: S }>(
            `SELECT key, state FROM ${tx.schema}.documents WHERE projection = $1 AND key = ANY($2::text[])`,
            [projection.name, keys],
          )
        ).map((r) => [r.key, r.state]),
      );

      // 3. Evolve, 4. render and diff.
      const diff = new ReadModelDiff(readModel.tables);
      const rejected: RejectedEvent[] = [];
      const released: string[] = [];
      const changedKeys: string[] = [];
      const changedStates: string[] = [];
      for (const key of keys) {
        const before = loaded.get(key) ?? projection.initialState();
        const beforeJson = loaded.has(key) ? JSON.stringify(before) : undefined;
        let state = before;
        for (const { event, dedup } of byDocument.get(key)!) {
          try {
            state = projection.evolve(state, event);
          } catch (error) {
            const poison = error instanceof PoisonEventError ? error : undefined;
            rejected.push({
              event,
              reason: poison?.reason ?? 'unprocessable',
              detail: poison?.detail ?? (error instanceof Error ? error.message : String(error)),
            });
            released.push(dedup);
          }
        }
        const afterJson = JSON.stringify(state);
        if (afterJson === beforeJson) continue;
        diff.add(readModel.render(key, before), readModel.render(key, state));
        changedKeys.push(key);
        changedStates.push(afterJson);
      }
      await diff.write(tx);
      if (changedKeys.length > 0) {
        await tx.query(
          `INSERT INTO ${tx.schema}.documents (projection, key, state)
           SELECT $1, k, s::jsonb FROM unnest($2::text[], $3::text[]) AS d(k, s)
           ON CONFLICT (projection, key) DO UPDATE SET state = EXCLUDED.state`,
          [projection.name, changedKeys, changedStates],
        );
      }
      // A rejected event did not apply: its key is free again, so a corrected resend is not a "duplicate".
      if (released.length > 0) {
        await tx.query(`DELETE FROM ${tx.schema}.processed_keys WHERE key = ANY($1::text[])`, [released]);
      }
      return { rejected };
    },
  };
}

/** The topics a handler's event types live on. */
export const topicsOf = (eventTypes: readonly EventType[]): TopicName[] => [...new Set(eventTypes.map((t) => EVENT_TYPES[t].topic))];
