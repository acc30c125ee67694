/**
 * The one table of defaults of the GAN training options (@dermagan/contracts GanTrainingOptions):
 * what an option left out of a request, a preset or the command line means. The engine's own
 * internals (ADA interval and speed, Adam betas, …) are in config.ts and training-loop.ts.
 */
import type { AugmentPipeName, GanPresetName } from '@dermagan/contracts';

export const GAN_TRAINING_DEFAULTS = Object.freeze({
  /** Base configuration: NVlabs' 'auto' (batch, γ and EMA derived from the resolution). */
  cfg: 'auto' as GanPresetName,
  /** Unconditional unless asked. */
  cond: false,
  /** ADA's default pipe: blit + geometric + colour. */
  aug: 'bgc' as AugmentPipeName,
  /** ADA target for mean sign(D(real)) (NVlabs --target). */
  target: 0.6,
  /** The reals as they are (no x-flip doubling). */
  mirror: false,
  /** Seed of initialisation and every random draw. */
  seed: 0,
  /** Tick length in kimg: one status line / stats record / checkpoint chance per tick. */
  tickKimg: 4,
});
