export * from './paper.ts';
export * from './presets.ts';
export * from './results.ts';
export * from './replies.ts';
export * from './grid.ts';
export * from './protocol.ts';
export * from './report/html.ts';
export * from './report/plots.ts';
