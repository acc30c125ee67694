export * from './handlers.ts';
export * from './store-checkpoint-sink.ts';
export * from './tenant.ts';
export * from './tenant-weights.ts';
