import { z } from 'zod';
import { FolderRef } from './artifact.ts';

/**
 * Latent directions of a generator (`directions.json` in an explanation folder), for the editing
 * strips in the report and the portal's latent explorer: per method, unit vectors in W and the
 * ws range an edit applies to (ws[:, start:end] += step · direction).
 */
export const LATENT_DIRECTIONS_FORMAT = 'dermagan.latent-directions/v1';

export const DirectionSet = z
  .object({
    /** How they were found: SeFa (closed form), GANSpace (PCA of W), a hyperplane (linear classifier on W). */
    kind: z.enum(['sefa', 'ganspace', 'hyperplane']),
    /** ws indices edited: [start, end). */
    layers: z.object({ start: z.number().int().nonnegative(), end: z.number().int().positive() }),
    /** Unit vectors [k, wDim]. */
    directions: z.array(z.array(z.number())).min(1),
    /** One label per direction (e.g. `SeFa 1`, `PC2 (8.1 %)`, `frame present`). */
    labels: z.array(z.string()),
    /** A useful step size per direction in W units (the σ of W along it, or 1). */
    scales: z.array(z.number().positive()),
  })
  .refine((s) => s.labels.length === s.directions.length && s.scales.length === s.directions.length, {
    message: 'labels and scales need one entry per direction',
  })
  .refine((s) => s.layers.start < s.layers.end, { message: 'layers.start must be < layers.end' })
  .refine((s) => s.directions.every((d) => Math.abs(Math.hypot(...d) - 1) < 1e-3), { message: 'directions must be unit vectors' });
export type DirectionSet = z.infer<typeof DirectionSet>;

export const LatentDirections = z
  .object({
    format: z.literal(LATENT_DIRECTIONS_FORMAT),
    /** The generator checkpoint: a store reference, or a local folder for CLI runs. */
    generator: z.union([FolderRef, z.object({ path: z.string().min(1) })]),
    wDim: z.number().int().positive(),
    numWs: z.number().int().positive(),
    sets: z.array(DirectionSet),
  })
  .refine((l) => l.sets.every((s) => s.layers.end <= l.numWs && s.directions.every((d) => d.length === l.wDim)), {
    message: 'every direction must have wDim entries and every layer range must lie in [0, numWs)',
  });
export type LatentDirections = z.infer<typeof LatentDirections>;
