export * from './job-from-template.ts';
export * from './job-labels.ts';
export * from './job-state.ts';
export * from './job-template.ts';
export * from './kube-jobs.ts';
