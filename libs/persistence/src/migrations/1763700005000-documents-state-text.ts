import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quoteIdent } from '../database';

const schemaOf = (queryRunner: QueryRunner): string => quoteIdent((queryRunner.connection.options as { schema: string }).schema);

/**
 * `documents.state` becomes the document's JSON text, exactly as the handler serialized it, instead
 * of jsonb. Postgres never looks inside a document (only the handler reads it), and jsonb made it
 * parse every document written (~3 kB for billing) into its binary form, and print it again on every
 * read: with pglz compression on top, writing a billing document cost about 90 µs against about
 * 32 µs as lz4-compressed text (docs/performance-billing.md). lz4 is used where the server has it
 * (Postgres 14 and later, built with lz4), pglz otherwise.
 *
 * The stored text is `JSON.stringify` of the state. Rows converted here keep jsonb's formatting until
 * they are written again, and the handler reads both the same way (JSON.parse). Replay's --verify and
 * the tests compare documents as JSON values (`state::jsonb`, libs/persistence/src/checksum.ts): the
 * text keeps the key order the state's objects were built in, which a tenant document fed from several
 * partitions may build in either order; every read-model table is still compared byte for byte.
 */
export class DocumentsStateText1763700005000 implements MigrationInterface {
  name = 'DocumentsStateText1763700005000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = schemaOf(queryRunner);
    await queryRunner.query(`ALTER TABLE ${s}.documents ALTER COLUMN state TYPE text USING state::text`);
    const [lz4] = (await queryRunner.query(
      `SELECT 1 AS ok FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)`,
    )) as Array<{ ok: number }>;
    if (lz4 !== undefined) await queryRunner.query(`ALTER TABLE ${s}.documents ALTER COLUMN state SET COMPRESSION lz4`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = schemaOf(queryRunner);
    await queryRunner.query(`ALTER TABLE ${s}.documents ALTER COLUMN state TYPE jsonb USING state::jsonb`);
    const [lz4] = (await queryRunner.query(
      `SELECT 1 AS ok FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)`,
    )) as Array<{ ok: number }>;
    if (lz4 !== undefined) await queryRunner.query(`ALTER TABLE ${s}.documents ALTER COLUMN state SET COMPRESSION default`);
  }
}

