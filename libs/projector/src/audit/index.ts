export * from './membership.ts';
export * from './copies.ts';
export * from './pair-grid.ts';
export * from './sample.ts';
export * from './audit.ts';
export * from './histogram.ts';
export * from './privacy-audit.ts';
