export * from './database';
export * from './data-source';
export * from './migrate';
export * from './checkpoint.entity';
export * from './migrations/1763700000000-core-tables';
export * from './checksum';
export * from './postgres-readiness';
export * from './sql-client';
