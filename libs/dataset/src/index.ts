export * from './manifest.ts';
export * from './reader.ts';
export * from './writer.ts';
export * from './merge.ts';
export * from './grid.ts';
export * from './folder-kind.ts';
