export * from './handlers.ts';
export * from './job-spec.ts';
export * from './watcher.ts';
export * from './metrics.ts';
