export * from './output-folder.ts';
export * from './paths.ts';
