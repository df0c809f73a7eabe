export * from './kafka-client';
export * from './topic-provisioner';
export * from './event-publisher';
export * from './kafka-readiness';
export * from './kafka.module';
