export * from './handlers.ts';
export * from './store-checkpoint-sink.ts';
