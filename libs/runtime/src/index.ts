export * from './config.ts';
export * from './logger.ts';
export * from './metrics.ts';
export * from './http.ts';
export * from './shutdown.ts';
export * from './service.ts';
export * from './folders.ts';
export * from './wiring.ts';
