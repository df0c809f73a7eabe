export * from './currency';
export * from './minor-units';
