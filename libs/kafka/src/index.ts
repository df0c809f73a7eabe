export * from './kafka-client';
export * from './topic-provisioner';
export * from './event-publisher';
export * from './kafka-readiness';
export * from './murmur2-partitioner';
export * from './kafka.module';
