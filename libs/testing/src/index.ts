export * from './test-environment';
export * from './isolated-stack';
export * from './kafka-helpers';
