export * from './handlers.ts';
export * from './metrics.ts';
