import type { DataSource } from 'typeorm';

/** Ready when Postgres answers a trivial query on the app's DataSource. */
export class PostgresReadiness {
  readonly name = 'postgres';
  constructor(private readonly dataSource: DataSource) {}

  async check(): Promise<void> {
    if (!this.dataSource.isInitialized) throw new Error('DataSource is not initialized');
    await this.dataSource.query('SELECT 1');
  }
}
