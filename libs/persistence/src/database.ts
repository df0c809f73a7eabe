import { Client } from 'pg';

/** `postgres://user@host:5432/name` -> the database name, and the same server's `postgres` database. */
export function splitDatabaseUrl(url: string): { database: string; maintenanceUrl: string } {
  const parsed = new URL(url);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (database.length === 0) throw new Error(`DATABASE_URL names no database: ${redactUrl(url)}`);
  parsed.pathname = '/postgres';
  return { database, maintenanceUrl: parsed.toString() };
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable url>';
  }
}

export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** Creates the database named by the URL when it is missing. Safe when several processes race. */
export async function ensureDatabase(url: string): Promise<boolean> {
  const { database, maintenanceUrl } = splitDatabaseUrl(url);
  const client = new Client({ connectionString: maintenanceUrl, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `cannot reach Postgres at ${redactUrl(maintenanceUrl)}: ${error instanceof Error ? error.message : String(error)}. ` +
        'Start it (on this machine: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or set DATABASE_URL.',
    );
  }
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount !== 0) return false;
    try {
      await client.query(`CREATE DATABASE ${quoteIdent(database)}`);
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === '42P04' || (error as { code?: string }).code === '23505') return false;
      throw error;
    }
  } finally {
    await client.end();
  }
}

export async function dropDatabase(url: string): Promise<void> {
  const { database, maintenanceUrl } = splitDatabaseUrl(url);
  const client = new Client({ connectionString: maintenanceUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
