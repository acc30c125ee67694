export * from './npy.ts';
export * from './zip.ts';
