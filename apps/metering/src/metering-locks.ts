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
 * lock table is small). All locks of a call are taken in one statement, in (space, bucket) order.
 */
export type LockSpace = 'customer' | 'meter';

const SPACE_ID: Readonly<Record<LockSpace, number>> = { customer: 5_003_001, meter: 5_003_002 };
const BUCKETS = 64;

function bucketOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % BUCKETS;
}

export class LockSet {
  private readonly wanted = new Map<number, boolean>();

  add(space: LockSpace, tenantId: string, key: string, exclusive: boolean): this {
    const id = SPACE_ID[space] * BUCKETS + bucketOf(`${tenantId}\u0000${key}`);
    this.wanted.set(id, exclusive || (this.wanted.get(id) ?? false));
    return this;
  }

  get size(): number {
    return this.wanted.size;
  }

  async acquire(tx: ProjectionTx): Promise<void> {
    if (this.wanted.size === 0) return;
    const ids = [...this.wanted.keys()].sort((a, b) => a - b);
    await tx.query(
      `SELECT count(*) FROM (
         SELECT CASE WHEN x THEN pg_advisory_xact_lock(s, b) ELSE pg_advisory_xact_lock_shared(s, b) END
           FROM (SELECT * FROM unnest($1::int[], $2::int[], $3::bool[]) AS l(s, b, x) ORDER BY s, b) ordered
       ) taken`,
      [ids.map((id) => Math.floor(id / BUCKETS)), ids.map((id) => id % BUCKETS), ids.map((id) => this.wanted.get(id)!)],
    );
  }
}
