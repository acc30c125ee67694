export * from './database.ts';
export * from './errors.ts';
export * from './postgres.ts';
export * from './pglite.ts';
export * from './migrate.ts';
export * from './open.ts';
