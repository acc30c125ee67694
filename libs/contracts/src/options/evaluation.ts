import { z } from 'zod';

/**
 * Options of one evaluation (`evaluation.requested`, the study presets' `metricOptions`): the knobs
 * of the metrics over a pair of feature sets. A field left out takes libs/metrics' default (its one
 * table, DEFAULTS); libs/metrics maps these onto its evaluation in one place (evaluateOptionsFrom).
 */
/**
 * What happens to images before Inception-2015 (libs/metrics networks/preprocess.ts): `sg2ada`
 * (the paper's code: bilinear to 299, no antialias), `clean` (clean-fid), `tf-legacy` (TF1 bilinear).
 */
export const PREPROCESSING_MODES = ['sg2ada', 'clean', 'tf-legacy'] as const;
export type Preprocessing = (typeof PREPROCESSING_MODES)[number];

/** Metrics of every training checkpoint (`training.requested`): `fid5k` = FID of 5000 G_ema images vs the training reals. */
export const SnapshotMetrics = z.object({
  metrics: z.array(z.string().regex(/^fid\d+k?$/, 'snapshot metrics are fid<N>k or fid<N>, e.g. fid5k')).default([]),
  preprocessing: z.enum(PREPROCESSING_MODES).default('sg2ada'),
});
export type SnapshotMetrics = z.output<typeof SnapshotMetrics>;

export const EvaluationOptions = z.object({
  /** KID: number of random subsets. */
  kidSubsets: z.number().int().positive().optional(),
  /** KID: rows per subset (m = min(n_real, n_fake, this)). */
  kidSubsetSize: z.number().int().positive().optional(),
  /** KID: seed of the subset sampler. */
  kidSeed: z.number().int().optional(),
  /** Precision/recall: neighbourhood size k. */
  k: z.number().int().positive().optional(),
  /** Density/coverage: neighbourhood size k. */
  dcK: z.number().int().positive().optional(),
  /** α-precision / β-recall: number of α (and β) levels. */
  alphaSteps: z.number().int().positive().optional(),
  /** Preprocessing before Inception-2015 (default sg2ada); ignored by the other feature spaces. */
  preprocessing: z.enum(PREPROCESSING_MODES).optional(),
  /** At most this many real and as many synthetic images: a seeded sample of each (default: all; FID from few images is biased upwards). */
  maxImages: z.number().int().positive().optional(),
  /** Seed of that sample (default 0). */
  sampleSeed: z.number().int().nonnegative().optional(),
});
export type EvaluationOptions = z.output<typeof EvaluationOptions>;
