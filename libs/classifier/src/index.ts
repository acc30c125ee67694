export * from './errors.ts';
export * from './rng.ts';
export * from './measures/index.ts';
