export * from './logger';
export * from './metrics';
export * from './health';
export * from './health.controller';
export * from './metrics.controller';
export * from './observability.module';
