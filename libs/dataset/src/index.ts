export * from './manifest.ts';
export * from './reader.ts';
