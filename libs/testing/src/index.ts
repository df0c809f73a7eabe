export * from './test-environment';
export * from './isolated-stack';
export * from './kafka-helpers';
export * from './private-services';
