export * from './store.ts';
export * from './errors.ts';
export * from './keys.ts';
export { LocalStore, type LocalStoreOptions } from './local-store.ts';
