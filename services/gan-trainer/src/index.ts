export * from './handlers.ts';
export * from './tenant.ts';
export * from './job-worker.ts';
export * from './training-metrics.ts';
export * from './global-checkpoint.ts';
export * from './embedded-tenants.ts';
