export * from './errors';
export * from './rational';
export * from './price';
export * from './status';
export * from './pulsora';
export * from './movements';
