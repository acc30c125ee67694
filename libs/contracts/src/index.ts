export * from './artifact.ts';
export * from './event.ts';
export * from './events.ts';
export * from './version.ts';
