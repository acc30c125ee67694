export * from './store.ts';
export * from './errors.ts';
export * from './keys.ts';
export { LocalStore, type LocalStoreOptions } from './local-store.ts';
export { S3Store, type S3StoreOptions } from './s3-store.ts';
export { DEFAULT_RETRY, type RetryOptions } from './retry.ts';
export { putDirectory, getDirectory, type DirectoryOptions } from './directory.ts';
export { StoreIOHandler, storeIOHandler, MODEL_JSON, WEIGHTS_BIN } from './tfjs-io.ts';
export { storeFromUrl, s3StoreFromEnv, type S3Credentials, type StoreFromUrlOptions } from './config.ts';
