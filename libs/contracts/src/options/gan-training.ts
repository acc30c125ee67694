import { z } from 'zod';

/**
 * StyleGAN2-ADA training options: the one schema `training.requested`, `federation.requested`, the
 * study presets and the CLI flags (`dermagan train`, `dermagan federate`) share. Names are the CLI's
 * (NVlabs train.py's where it has one). A field left out takes its default from the engine's one
 * table (libs/gan GAN_TRAINING_DEFAULTS); the engine maps these options onto its networks and loop
 * in one place (libs/gan options.ts).
 *
 * Each field's `meta` is what the CLI shows: `description` (the help line) and `arg` (the value's
 * placeholder); `flag` when the flag is not the field's kebab-case name.
 */

/** The reference's presets (NVlabs cfg_specs) plus ours ('quick' CPU, 'test' unit tests). */
export const GAN_PRESET_NAMES = ['auto', 'paper256', 'stylegan2', 'quick', 'test'] as const;
export type GanPresetName = (typeof GAN_PRESET_NAMES)[number];

/** The reference's augment pipes ('bgc' = ADA's default, 'bg' = the study's no-colour variant). */
export const AUGMENT_PIPE_NAMES = ['bgc', 'bg', 'blit', 'geom', 'color', 'noaug'] as const;
export type AugmentPipeName = (typeof AUGMENT_PIPE_NAMES)[number];

const resolution = z
  .number()
  .int()
  .superRefine((r, ctx) => {
    if (!Number.isInteger(Math.log2(r)) || r < 16 || r > 256) ctx.addIssue({ code: 'custom', message: `resolution must be a power of two in [16, 256], got ${r}` });
  });

export const GanTrainingOptions = z.object({
  res: resolution.meta({ description: 'training resolution (power of two, 16–256; the data is resized if needed)', arg: '<px>' }),
  kimg: z.number().positive().meta({ description: 'train until this many thousand images have been shown (in total, counting a resumed run)', arg: '<n>' }),
  cfg: z.enum(GAN_PRESET_NAMES).optional().meta({ description: 'base configuration (reference presets; quick/test are small CPU configs)', arg: '<preset>' }),
  cond: z.boolean().optional().meta({ description: 'conditional G and D on the dataset classes' }),
  aug: z.enum(AUGMENT_PIPE_NAMES).optional().meta({ description: 'ADA augment pipe', arg: '<pipe>' }),
  target: z.number().min(0).max(1).optional().meta({ description: 'ADA target for mean sign(D(real))', arg: '<t>' }),
  p: z.number().min(0).max(1).optional().meta({ description: 'fixed augmentation probability instead of ADA', arg: '<p>' }),
  mirror: z.boolean().optional().meta({ description: 'x-flip doubling of the reals (NVlabs --mirror=1: each real is shown mirrored half of the time)' }),
  batch: z.number().int().positive().optional().meta({ description: 'minibatch size (preset default otherwise)', arg: '<n>' }),
  cbase: z.number().int().positive().optional().meta({ description: 'channel base: feature maps at resolution r = min(cbase/r, cmax)', arg: '<n>' }),
  cmax: z.number().int().positive().optional().meta({ description: 'maximum feature maps per layer', arg: '<n>' }),
  map: z.number().int().min(1).optional().meta({ description: 'mapping network layers', arg: '<n>' }),
  gamma: z.number().nonnegative().optional().meta({ description: 'R1 weight γ', arg: '<g>' }),
  zdim: z.number().int().positive().optional().meta({ description: 'latent z dimensionality (preset default otherwise)', arg: '<n>' }),
  wdim: z.number().int().positive().optional().meta({ description: 'intermediate w dimensionality (preset default otherwise)', arg: '<n>' }),
  seed: z.number().int().nonnegative().optional().meta({ description: 'seed of initialisation and every random draw', arg: '<n>' }),
  tickKimg: z.number().positive().optional().meta({ description: 'kimg per tick (one status line, stats record and checkpoint chance per tick)', arg: '<kimg>', flag: 'tick' }),
});
/** The options as given (every field but res and kimg optional). */
export type GanTrainingOptions = z.output<typeof GanTrainingOptions>;

/** A federation's training options: the same, minus the run length (K local iterations per round instead). */
export const FederatedGanTrainingOptions = GanTrainingOptions.omit({ kimg: true, tickKimg: true });
export type FederatedGanTrainingOptions = z.output<typeof FederatedGanTrainingOptions>;

/** The CLI help of one option (its zod meta). */
export interface OptionMeta {
  description: string;
  /** Placeholder of the value, e.g. `<px>`; absent for a boolean flag. */
  arg?: string;
  /** Flag name when not the field's kebab-case name (without the leading dashes). */
  flag?: string;
}
