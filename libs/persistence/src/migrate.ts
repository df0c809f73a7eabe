import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { ensureDatabase, quoteIdent } from './database';
import { schemaOf } from './data-source';

/** A stable 32-bit lock id for a schema name. */
function lockId(schema: string): number {
  let h = 0x811c9dc5;
  for (const ch of `revstream-migrate:${schema}`) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

/**
 * Creates the database and schema when missing, then runs pending migrations, each in its own
 * transaction. Several processes may call this at once: an advisory lock makes them take turns.
 * Leaves the DataSource initialized.
 */
export async function runMigrations(dataSource: DataSource, url: string): Promise<string[]> {
  await ensureDatabase(url);
  const schema = schemaOf(dataSource);
  const lock = new Client({ connectionString: url });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [lockId(schema)]);
    await lock.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    if (!dataSource.isInitialized) await dataSource.initialize();
    const ran = await dataSource.runMigrations({ transaction: 'each' });
    return ran.map((m) => m.name);
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [lockId(schema)]).catch(() => undefined);
    await lock.end();
  }
}
