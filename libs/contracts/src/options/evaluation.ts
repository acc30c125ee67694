import { z } from 'zod';

/**
 * Options of one evaluation (`evaluation.requested`, the study presets' `metricOptions`): the knobs
 * of the metrics over a pair of feature sets. A field left out takes libs/metrics' default (its one
 * table, DEFAULTS); libs/metrics maps these onto its evaluation in one place (evaluateOptionsFrom).
 */
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
});
export type EvaluationOptions = z.output<typeof EvaluationOptions>;
