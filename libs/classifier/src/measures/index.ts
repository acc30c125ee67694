export * from './check.ts';
export * from './curve.ts';
export * from './roc-auc.ts';
export * from './average-precision.ts';
export * from './threshold.ts';
export * from './percentile.ts';
export * from './bootstrap.ts';
export * from './report.ts';
