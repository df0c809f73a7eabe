import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '../database';

const schemaOf = (queryRunner: QueryRunner): string => quoteIdent((queryRunner.connection.options as { schema: string }).schema);

/**
 * The tables every projection schema has, whatever it projects:
 *  - checkpoints: the last offset applied per (consumer, topic, partition), written in the same
 *    transaction as the read models, so a crash neither loses nor double-applies anything;
 *  - processed_keys: dedup keys (event ids, source idempotency keys) already applied;
 *  - documents: per-key projection state, for document projections;
 *  - dead_letters: events accepted but not processable, with the reason (also on the DLQ topic);
 *  - projection_meta: which version of a projection the schema holds, and its consumer generation.
 * It runs in the schema of the DataSource that runs it.
 */
export class CoreTables1763700000000 implements MigrationInterface {
  name = 'CoreTables1763700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = schemaOf(queryRunner);
    await queryRunner.query(`
      CREATE TABLE ${s}.checkpoints (
        consumer   text    NOT NULL,
        topic      text    NOT NULL,
        partition  integer NOT NULL,
        "offset"   bigint  NOT NULL,
        PRIMARY KEY (consumer, topic, partition)
      )`);
    await queryRunner.query(`CREATE TABLE ${s}.processed_keys (key text PRIMARY KEY)`);
    await queryRunner.query(`
      CREATE TABLE ${s}.documents (
        projection text  NOT NULL,
        key        text  NOT NULL,
        state      jsonb NOT NULL,
        PRIMARY KEY (projection, key)
      )`);
    await queryRunner.query(`
      CREATE TABLE ${s}.dead_letters (
        consumer     text    NOT NULL,
        topic        text    NOT NULL,
        partition    integer NOT NULL,
        "offset"     bigint  NOT NULL,
        tenant_id    text,
        event_id     text,
        event_type   text,
        reason       text    NOT NULL,
        detail       text    NOT NULL,
        payload      text    NOT NULL,
        received_at  timestamptz,
        PRIMARY KEY (consumer, topic, partition, "offset")
      )`);
    await queryRunner.query(`CREATE INDEX dead_letters_tenant_idx ON ${s}.dead_letters (tenant_id, reason)`);
    await queryRunner.query(`
      CREATE TABLE ${s}.projection_meta (
        projection text    PRIMARY KEY,
        version    integer NOT NULL,
        generation text    NOT NULL
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = schemaOf(queryRunner);
    await queryRunner.query(`DROP TABLE ${s}.projection_meta`);
    await queryRunner.query(`DROP TABLE ${s}.dead_letters`);
    await queryRunner.query(`DROP TABLE ${s}.documents`);
    await queryRunner.query(`DROP TABLE ${s}.processed_keys`);
    await queryRunner.query(`DROP TABLE ${s}.checkpoints`);
  }
}
