export * from './artifact.ts';
export * from './event.ts';
export * from './events.ts';
export * from './version.ts';
export * from './latent-directions.ts';
export * from './options.ts';
export * from './render.ts';
export * from './analysis-artifacts.ts';
