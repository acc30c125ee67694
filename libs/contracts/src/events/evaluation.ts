import { z } from 'zod';
import { FolderRef } from '../artifact.ts';
import { defineEvent } from '../event.ts';
import { EvaluationOptions } from '../options/evaluation.ts';
import { Numbers } from './numbers.ts';

/** Evaluation of a synthetic set against real images (services/metrics). */

export const EvaluationRequested = defineEvent(
  'org.dermagan.evaluation.requested.v1',
  z.object({
    /** Name of what is evaluated (e.g. the run). */
    name: z.string().min(1),
    real: FolderRef,
    /** Which real images: split and class (null = all). */
    realSplit: z.enum(['train', 'test', 'all']).nullable().default(null),
    realClass: z.number().int().nonnegative().nullable().default(null),
    fake: FolderRef,
    /** Feature extractor id (libs/metrics). */
    extractor: z.string().min(1),
    metrics: z.array(z.string()).min(1),
    options: EvaluationOptions.default({}),
  }),
);

export const EvaluationCompleted = defineEvent(
  'org.dermagan.evaluation.completed.v1',
  z.object({ name: z.string(), scores: Numbers, provenance: z.record(z.string(), z.unknown()) }),
);

/** Perceptual path length of a generator (services/metrics; `dermagan ppl` measures the same). */
export const PplRequested = defineEvent(
  'org.dermagan.ppl.requested.v1',
  z.object({
    /** Name of what is measured (e.g. the model). */
    name: z.string().min(1),
    /** Generator checkpoint (G_ema). */
    checkpoint: FolderRef,
    /** Path samples (NVlabs: 50 000). */
    samples: z.number().int().positive(),
    /** 'end' (t = 0, ppl2_wend) or 'full'. */
    sampling: z.enum(['end', 'full']).default('end'),
    seed: z.number().int().nonnegative().default(0),
  }),
);

export const PplCompleted = defineEvent(
  'org.dermagan.ppl.completed.v1',
  z.object({
    name: z.string(),
    /** LPIPS-VGG16 PPL (comparable to published values). */
    ppl: z.number(),
    /** The pixel-space stand-in over the same paths (another scale). */
    pplPixels: z.number(),
    provenance: z.record(z.string(), z.unknown()),
  }),
);
