export * from './output-folder.ts';
export * from './paths.ts';
export * from './csv.ts';
export * from './atomic-file.ts';
export * from './folder-lock.ts';
