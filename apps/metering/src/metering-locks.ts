import { boolArray, int4Array } from '@revstream/persistence';
import type { ProjectionTx } from '@revstream/projections';

/**
 * Advisory locks that keep writers of the same customer or meter from interleaving, without making
 * ordinary usage batches wait for each other:
 *  - usage batches take their customers and meters SHARED: their writes are commutative merges, so
 *    any number may run at once (row locks order the merges);
 *  - a recompute of a customer's periods (a subscription changed) takes the customer EXCLUSIVE, and
 *    a re-rating of a meter (its price changed) takes the meter EXCLUSIVE, so they see and replace a
 *    settled state.
 * Keys are hashed into 64 buckets per space, which bounds the locks a transaction holds (Postgres's
 * lock table is small). All locks of a call are taken in one statement: customers first, then meters,
 * each by bucket.
 * Spaces are per schema, so a rebuild into a shadow schema (a replay) never waits for the live one.
 */
export type LockSpace = 'customer' | 'meter';

const BUCKETS = 64;
const SPACE_ORDER: Readonly<Record<LockSpace, number>> = { customer: 0, meter: 1 };

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The first key of the two-key advisory locks: the schema and the space, as a 31-bit number. */
const spaceId = (schema: string, space: LockSpace): number => fnv1a(`revstream-metering:${schema}:${space}`) & 0x7fffffff;

export class LockSet {
  private readonly wanted = new Map<string, { order: number; space: number; bucket: number; exclusive: boolean }>();

  constructor(private readonly schema: string) {}

  add(space: LockSpace, tenantId: string, key: string, exclusive: boolean): this {
    const lock = { order: SPACE_ORDER[space], space: spaceId(this.schema, space), bucket: fnv1a(`${tenantId}\u0000${key}`) % BUCKETS, exclusive };
    const id = `${lock.space}:${lock.bucket}`;
    const held = this.wanted.get(id);
    this.wanted.set(id, held ? { ...held, exclusive: held.exclusive || exclusive } : lock);
    return this;
  }

  get size(): number {
    return this.wanted.size;
  }

  async acquire(tx: ProjectionTx): Promise<void> {
    if (this.wanted.size === 0) return;
    // Customers before meters, then by bucket: the one order every transaction follows.
    const locks = [...this.wanted.values()].sort((a, b) => a.order - b.order || a.bucket - b.bucket);
    await tx.query(
      `SELECT count(*) FROM (
         SELECT CASE WHEN x THEN pg_advisory_xact_lock(s, b) ELSE pg_advisory_xact_lock_shared(s, b) END
           FROM (SELECT * FROM unnest($1::int[], $2::int[], $3::bool[]) WITH ORDINALITY AS l(s, b, x, n) ORDER BY n) ordered
       ) taken`,
      [int4Array(locks.map((l) => l.space)), int4Array(locks.map((l) => l.bucket)), boolArray(locks.map((l) => l.exclusive))],
    );
  }
}
