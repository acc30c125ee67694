export * from './handlers.ts';
export * from './upload.ts';
