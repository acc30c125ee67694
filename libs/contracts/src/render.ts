import { z } from 'zod';
import { FolderRef } from './artifact.ts';

/**
 * A request to render images from a generator checkpoint: the generator service's HTTP API
 * (`POST /render` → image/png) and the portal's in-process renderer take the same request, so
 * the portal's latent explorer and sample grids work embedded and in a cluster alike.
 * Image i uses seed `seeds[i]` exactly as `generation.requested` does (same z, same noise).
 */
export const RenderRequest = z.object({
  /** The generator (a training checkpoint folder: G_ema is used). */
  checkpoint: FolderRef,
  /** One image per seed, tiled row-major into a grid `columns` wide (1–64 images). */
  seeds: z.array(z.number().int().nonnegative()).min(1).max(64),
  /** Truncation ψ towards w_avg (1 = none). */
  truncation: z.number().min(0).max(2).default(1),
  /** Class to condition on (conditional generators; null = the generator's own class / class 0). */
  classIndex: z.number().int().nonnegative().nullable().default(null),
  /** Moves in W space after truncation: ws[:, start:end] += amount · direction (each direction wDim long; no layers = every ws). */
  edits: z
    .array(
      z.object({
        direction: z.array(z.number()).min(1).max(4096),
        amount: z.number().min(-100).max(100),
        layers: z.object({ start: z.number().int().nonnegative(), end: z.number().int().positive() }).optional(),
      }),
    )
    .max(16)
    .default([]),
  /** Grid width in images (default: up to 8). */
  columns: z.number().int().min(1).max(64).optional(),
  /** Nearest-neighbour upscale of the grid (small training resolutions stay crisp). */
  scale: z.number().int().min(1).max(16).default(1),
});
export type RenderRequest = z.infer<typeof RenderRequest>;
export type RenderRequestInput = z.input<typeof RenderRequest>;
