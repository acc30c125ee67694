export * from './output-folder.ts';
export * from './paths.ts';
export * from './csv.ts';
