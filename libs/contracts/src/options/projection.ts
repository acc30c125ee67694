import { z } from 'zod';

/**
 * Options of a projection or an audit (`projection.requested`, `audit.requested`, the study
 * presets' privacy step): the projector's optimisation and distance. A field left out takes
 * libs/projector's default (its one table, PROJECTOR_DEFAULTS: NVlabs projector.py's values);
 * libs/projector maps these onto its options in one place (projectorOptionsFrom).
 */

/** The projector's distances: the reference's LPIPS-VGG16, or pixel MSE (no weights). */
export const PROJECTION_DISTANCES = ['lpips-vgg16', 'pixels-mse'] as const;
export type ProjectionDistance = (typeof PROJECTION_DISTANCES)[number];

export const ProjectionOptions = z.object({
  /** Optimisation steps per image (reference: 1000). */
  steps: z.number().int().positive().optional(),
  /** Images optimised together (changes no result). */
  batch: z.number().int().positive().optional(),
  /** 'w' (one w for every layer, the reference) or 'w+'. */
  space: z.enum(['w', 'w+']).optional(),
  /** Seed of each image's noise maps and w noise (mixed with its id). */
  seed: z.number().int().nonnegative().optional(),
  /** z samples behind w_avg and w_std (reference: 10 000). */
  wAvgSamples: z.number().int().positive().optional(),
  /** Each image's state is saved every this many steps. */
  saveEvery: z.number().int().positive().optional(),
  distance: z.enum(PROJECTION_DISTANCES).optional(),
});
export type ProjectionOptions = z.output<typeof ProjectionOptions>;

/** Which images of a dataset: split, classes, tenant, then the first n (a seeded sample in an audit) or exact ids. */
export const ImageSelection = z.object({
  split: z.array(z.enum(['train', 'test', 'all'])).min(1).optional(),
  classes: z.array(z.number().int().nonnegative()).min(1).optional(),
  tenant: z.string().min(1).optional(),
  n: z.number().int().positive().optional(),
  ids: z.array(z.string().min(1)).min(1).optional(),
});
export type ImageSelection = z.output<typeof ImageSelection>;
