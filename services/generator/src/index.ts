export * from './handlers.ts';
export * from './render-route.ts';
