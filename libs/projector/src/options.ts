/**
 * The projector's options: NVlabs `projector.py` `project()` keyword list (REFERENCE §5), one line
 * each, defaults in one table. What is ours (batching, W+, saving) is marked.
 */
import type { ProjectionDistance, ProjectionOptions } from '@dermagan/contracts';
import { DEFAULT_PERCEPTUAL } from './perceptual-registry.ts';

export interface ProjectorOptions {
  /** Optimisation steps per image (reference: 1000). */
  steps: number;
  /** z samples behind w_avg and w_std (reference: 10 000). */
  wAvgSamples: number;
  /** Seed of those z (reference: numpy RandomState(123)). */
  wStatsSeed: number;
  /** Peak Adam learning rate (reference: 0.1). */
  initialLearningRate: number;
  /** Share of the steps over which lr rises linearly from 0 (reference: 0.05). */
  lrRampupLength: number;
  /** Share of the steps at the end over which lr falls to 0 along a half cosine (reference: 0.25). */
  lrRampdownLength: number;
  /** Noise added to w at step 0, as a multiple of w_std (reference: 0.05). */
  initialNoiseFactor: number;
  /** Share of the steps over which that noise fades quadratically to 0 (reference: 0.75). */
  noiseRampLength: number;
  /** Weight of the noise-map regulariser (reference: 1e5). */
  regularizeNoiseWeight: number;
  /** Adam β1, β2 (reference: 0.9, 0.999). */
  betas: [number, number];
  /** Adam ε (torch's default 1e-8). */
  eps: number;
  /** Images wider than this are area-downsampled before the perceptual features (reference: 256). */
  maxFeatureSize: number;
  /** Seed of each image's noise maps and w noise, mixed with a hash of the image id (reference: 303 for its one image). */
  seed: number;
  /** Ours: 'w' optimises one w broadcast to every layer (reference); 'w+' one w per layer. */
  space: 'w' | 'w+';
  /** Ours: images optimised together (the reference projects one at a time). */
  batch: number;
  /** Ours: each image's state is saved every this many steps (a killed run loses at most these). */
  saveEvery: number;
}

export const PROJECTOR_DEFAULTS: Readonly<ProjectorOptions> = Object.freeze({
  steps: 1000,
  wAvgSamples: 10_000,
  wStatsSeed: 123,
  initialLearningRate: 0.1,
  lrRampupLength: 0.05,
  lrRampdownLength: 0.25,
  initialNoiseFactor: 0.05,
  noiseRampLength: 0.75,
  regularizeNoiseWeight: 1e5,
  betas: [0.9, 0.999] as [number, number],
  eps: 1e-8,
  maxFeatureSize: 256,
  seed: 303,
  space: 'w' as const,
  batch: 16,
  saveEvery: 50,
});

/** Defaults overridden by `partial`, checked. */
export function projectorOptions(partial: Partial<ProjectorOptions> = {}): ProjectorOptions {
  const o: ProjectorOptions = { ...PROJECTOR_DEFAULTS, betas: [...PROJECTOR_DEFAULTS.betas], ...partial };
  const positiveInts: Array<keyof ProjectorOptions> = ['steps', 'wAvgSamples', 'batch', 'saveEvery', 'maxFeatureSize'];
  for (const k of positiveInts) {
    const v = o[k] as number;
    if (!Number.isInteger(v) || v <= 0) throw new RangeError(`projector option ${k} must be a positive integer, got ${v}`);
  }
  for (const k of ['lrRampupLength', 'lrRampdownLength', 'noiseRampLength'] as const) {
    if (!(o[k] > 0 && o[k] <= 1)) throw new RangeError(`projector option ${k} must be in (0, 1], got ${o[k]}`);
  }
  if (o.space !== 'w' && o.space !== 'w+') throw new RangeError(`projector option space must be 'w' or 'w+', got ${String(o.space)}`);
  return o;
}

/**
 * The request's options (contracts `ProjectionOptions`, all optional) onto the projector's: the one
 * place where an event, a preset or a flag set becomes ProjectorOptions and a distance.
 */
export function projectorOptionsFrom(o: ProjectionOptions): { options: ProjectorOptions; distance: ProjectionDistance } {
  return {
    options: projectorOptions({
      ...(o.steps !== undefined ? { steps: o.steps } : {}),
      ...(o.batch !== undefined ? { batch: o.batch } : {}),
      ...(o.space !== undefined ? { space: o.space } : {}),
      ...(o.seed !== undefined ? { seed: o.seed } : {}),
      ...(o.wAvgSamples !== undefined ? { wAvgSamples: o.wAvgSamples } : {}),
      ...(o.saveEvery !== undefined ? { saveEvery: o.saveEvery } : {}),
    }),
    distance: o.distance ?? DEFAULT_PERCEPTUAL,
  };
}
