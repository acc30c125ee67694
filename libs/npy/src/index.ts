export * from './npy.ts';
