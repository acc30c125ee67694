import { z } from 'zod';

/**
 * `OUT/results.json`: everything the report shows, as data. The report is rendered from this file
 * alone (plus the image grids it names), so its numbers equal these.
 */
export const STUDY_FORMAT = 'dermagan.study/v1';

const Numbers = z.record(z.string(), z.number().nullable());

export const TickRecord = z.object({ kimg: z.number() }).catchall(z.number().nullable());
export type TickRecord = z.infer<typeof TickRecord>;

export const GanResult = z.object({
  /** Row name as in the paper's Table 1: `ben-GAN`, `mal-GAN`, `cGAN (ADA)`. */
  model: z.string(),
  run: z.string(),
  conditional: z.boolean(),
  /** Class trained on (unconditional GANs), null for conditional. */
  classFilter: z.number().int().nullable(),
  config: z.record(z.string(), z.unknown()),
  kimg: z.number(),
  wallSeconds: z.number(),
  /** Per-tick training statistics (losses, ADA p, FID when measured). */
  history: z.array(TickRecord),
  /** Sample grid image, relative to OUT. */
  grid: z.string().nullable(),
});
export type GanResult = z.infer<typeof GanResult>;

export const FidelityResult = z.object({
  model: z.string(),
  /** fid (or fd_<extractor>), kid, precision, recall, density, coverage, authenticity, … */
  scores: Numbers,
  provenance: z.record(z.string(), z.unknown()),
});
export type FidelityResult = z.infer<typeof FidelityResult>;

export const UtilityResult = z.object({
  /** Row name as in the paper's Table 2: `real`, `synth-cGAN`, `aug-cGAN`, … */
  name: z.string(),
  scenario: z.enum(['real', 'synth', 'real+synth']),
  /** auc, pr_auc, accuracy, balanced_accuracy, sensitivity, specificity, prevalence, n, and CIs. */
  measures: z.record(z.string(), z.unknown()),
  provenance: z.record(z.string(), z.unknown()),
});
export type UtilityResult = z.infer<typeof UtilityResult>;

export const StudyResults = z.object({
  format: z.literal(STUDY_FORMAT),
  preset: z.object({ name: z.string() }).catchall(z.unknown()),
  startedAt: z.string(),
  finishedAt: z.string(),
  wallSeconds: z.number(),
  data: z.object({
    name: z.string(),
    fingerprint: z.string(),
    size: z.number(),
    labels: z.array(z.string()),
    counts: z.record(z.string(), z.number()),
  }),
  provenance: z.record(z.string(), z.unknown()),
  gans: z.array(GanResult),
  fidelity: z.array(FidelityResult),
  utility: z.array(UtilityResult),
  /** Real-image grids per class, relative to OUT. */
  realGrids: z.array(z.object({ label: z.string(), grid: z.string() })),
  /** Federated GAN results, when the study ran a federation. */
  federation: z.record(z.string(), z.unknown()).nullable().default(null),
});
export type StudyResults = z.infer<typeof StudyResults>;
