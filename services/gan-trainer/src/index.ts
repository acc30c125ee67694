export * from './handlers.ts';
export * from './store-checkpoint-sink.ts';
export * from './tenant.ts';
export * from './tenant-weights.ts';
export * from './job-worker.ts';
export * from './training-metrics.ts';
