export * from './tokens';
export * from './tenancy.schema';
export * from './tenancy.repository';
export * from './tenant-directory';
export * from './nest/tenancy.module';
export * from './nest/read-token.guard';
