export * from './stats/agreement.ts';
export * from './stats/proportion.ts';
export * from './stats/results.ts';
export * from './plan.ts';
export * from './repository.ts';
export * from './export.ts';
export * from './report-section.ts';
export * from './results-schema.ts';
