import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tenants, their tokens (hashes only) and their Revnu products. `seq` moves on every insert and
 * revocation, so a process can cache the whole directory and poll only what changed.
 */
export class TenancyTables1763700000100 implements MigrationInterface {
  name = 'TenancyTables1763700000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SEQUENCE tenancy.directory_seq`);
    await q.query(`
      CREATE TABLE tenancy.tenants (
        id          text PRIMARY KEY,
        name        text NOT NULL,
        email_salt  text NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        seq         bigint NOT NULL DEFAULT nextval('tenancy.directory_seq')
      )`);
    await q.query(`
      CREATE TABLE tenancy.tokens (
        hash        text PRIMARY KEY,
        tenant_id   text NOT NULL REFERENCES tenancy.tenants (id),
        kind        text NOT NULL CHECK (kind IN ('ingest', 'public', 'secret', 'read')),
        hint        text NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        revoked_at  timestamptz,
        seq         bigint NOT NULL DEFAULT nextval('tenancy.directory_seq')
      )`);
    await q.query(`CREATE INDEX tokens_seq_idx ON tenancy.tokens (seq)`);
    await q.query(`
      CREATE TABLE tenancy.products (
        tenant_id    text NOT NULL REFERENCES tenancy.tenants (id),
        product_id   text NOT NULL,
        model        text NOT NULL CHECK (model IN ('flat', 'metered', 'hybrid')),
        event_name   text NOT NULL,
        currency     text NOT NULL,
        unit_amount  bigint,
        flat_amount  bigint,
        created_at   timestamptz NOT NULL DEFAULT now(),
        seq          bigint NOT NULL DEFAULT nextval('tenancy.directory_seq'),
        PRIMARY KEY (tenant_id, product_id)
      )`);
    await q.query(`CREATE INDEX products_seq_idx ON tenancy.products (seq)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE tenancy.products`);
    await q.query(`DROP TABLE tenancy.tokens`);
    await q.query(`DROP TABLE tenancy.tenants`);
    await q.query(`DROP SEQUENCE tenancy.directory_seq`);
  }
}
