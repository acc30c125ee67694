export * from './handlers.ts';
export * from './ppl-handler.ts';
