/**
 * The options of each kind of work, one schema each, shared by its request event, the study presets
 * and the CLI; the defaults live with the library that does the work.
 */
export * from './options/gan-training.ts';
export * from './options/evaluation.ts';
export * from './options/classifier.ts';
export * from './options/projection.ts';
