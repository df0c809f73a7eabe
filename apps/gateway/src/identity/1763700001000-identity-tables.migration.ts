import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The gateway schema's read model: customer aliases (email hash or external id) per Stripe customer. */
export class IdentityTables1763700001000 implements MigrationInterface {
  name = 'IdentityTables1763700001000';

  async up(q: QueryRunner): Promise<void> {
    const s = `"${(q.connection.options as { schema: string }).schema}"`;
    await q.query(`
      CREATE TABLE ${s}.customer_aliases (
        tenant_id           text        NOT NULL,
        kind                text        NOT NULL CHECK (kind IN ('email', 'external')),
        alias               text        NOT NULL,
        stripe_customer_id  text        NOT NULL,
        last_seen_on        date        NOT NULL,
        PRIMARY KEY (tenant_id, kind, alias, stripe_customer_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    const s = `"${(q.connection.options as { schema: string }).schema}"`;
    await q.query(`DROP TABLE ${s}.customer_aliases`);
  }
}
