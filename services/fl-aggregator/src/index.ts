export * from './federation-run.ts';
export * from './handlers.ts';
export * from './metrics.ts';
export * from './store-weights.ts';
export * from './embedded.ts';
