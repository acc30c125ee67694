export * from './handlers.ts';
export * from './job-spec.ts';
export * from './job-state.ts';
export * from './job-template.ts';
export * from './kube-jobs.ts';
export * from './watcher.ts';
export * from './metrics.ts';
