export * from './handlers.ts';
export * from './store-state-store.ts';
