/**
 * The reference projector's schedules (REFERENCE §5), with t = step / steps:
 *   lr(t)    = lr₀ · ramp(t),  ramp = (½ − ½·cos(π·min(1, (1 − t)/rampdown))) · min(1, t/rampup)
 *   σ_w(t)   = w_std · noise₀ · max(0, 1 − t/noiseRamp)²
 * Pure functions of one image's step, so images at different steps share a batch.
 */
import type { ProjectorOptions } from './options.ts';

type ScheduleOptions = Pick<ProjectorOptions, 'steps' | 'initialLearningRate' | 'lrRampupLength' | 'lrRampdownLength' | 'initialNoiseFactor' | 'noiseRampLength'>;

/** Adam's learning rate at `step` (0-based). */
export function learningRate(step: number, o: ScheduleOptions): number {
  const t = step / o.steps;
  let ramp = Math.min(1, (1 - t) / o.lrRampdownLength);
  ramp = 0.5 - 0.5 * Math.cos(ramp * Math.PI);
  ramp *= Math.min(1, t / o.lrRampupLength);
  return o.initialLearningRate * ramp;
}

/** Standard deviation of the noise added to w at `step`. */
export function wNoiseScale(step: number, wStd: number, o: ScheduleOptions): number {
  const t = step / o.steps;
  return wStd * o.initialNoiseFactor * Math.max(0, 1 - t / o.noiseRampLength) ** 2;
}
