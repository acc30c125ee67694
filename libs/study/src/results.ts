import { SurveyExport } from '@dermagan/survey';
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

/** One federation round as the report tabulates it. */
export const FederationRoundRow = z.object({
  round: z.number().int(),
  attempt: z.number().int(),
  participants: z.array(z.string()),
  accepted: z.array(z.string()),
  dropped: z.array(z.string()),
  /** `tenant: reason` of each rejected update. */
  rejected: z.array(z.string()),
  aggregated: z.boolean(),
  updateNorms: z.record(z.string(), z.number()),
});

/** The federated GAN beside the central one. */
export const FederationResult = z.object({
  model: z.string(),
  /** The tenants as the manifest partitioned them. */
  tenants: z.array(z.record(z.string(), z.unknown())),
  /** Training images per tenant (its FedAvg weight). */
  tenantImages: z.record(z.string(), z.number()),
  secagg: z.boolean(),
  rounds: z.array(FederationRoundRow),
  /** Rejected updates over all rounds, by reason. */
  rejections: z.record(z.string(), z.number().int()).default({}),
  k: z.number(),
  strategy: z.string(),
  training: z.record(z.string(), z.unknown()),
  /** What "the same total iterations" compares: the central GAN's steps vs the tenants' summed and per-tenant ones. */
  iterations: z.object({ central: z.number(), federatedTotal: z.number(), perTenant: z.number() }),
  scores: Numbers,
  provenance: z.record(z.string(), z.unknown()),
  central: z.object({ model: z.string(), scores: Numbers }).nullable(),
  /** The Fréchet key both are compared on (`fid`, or `fd_<space>`). */
  distanceKey: z.string().nullable(),
  ratioToCentral: z.number().nullable(),
  grid: z.string().nullable(),
  wallSeconds: z.number(),
});
export type FederationResult = z.infer<typeof FederationResult>;

/** One step of the study as this results file got it: done in this run or reused from an earlier one, and its result. */
export const StepSummary = z.object({
  status: z.enum(['done', 'reused']),
  /** The study run (invocation) that did it, and when. */
  run: z.number().int().nonnegative(),
  startedAt: z.string(),
  finishedAt: z.string(),
  /** The step's key (name, version, inputs, needs' results). */
  key: z.string(),
  /** The step's result, as its schema (steps/<kind>.ts) reads it. */
  output: z.unknown(),
});
export type StepSummary = z.infer<typeof StepSummary>;

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
  /** Table 1: scores in the preset's feature space, with `ppl` (LPIPS-VGG16) among them when measured. */
  fidelity: z.array(FidelityResult),
  /** The appendix: every GAN (the federated one too) scored on every image in a second feature space (pixel projections). */
  appendixFidelity: z.array(FidelityResult).default([]),
  utility: z.array(UtilityResult),
  /** Real-image grids per class, relative to OUT. */
  realGrids: z.array(z.object({ label: z.string(), grid: z.string() })),
  /** Federated GAN results, when the study ran a federation. */
  federation: FederationResult.nullable().default(null),
  /** The expert survey's results as the portal exported them (`study --survey FILE`), or null: no survey run. */
  survey: SurveyExport.nullable().default(null),
  /** Every step by name (the report's extra sections read their step's result from here). */
  steps: z.record(z.string(), StepSummary).default({}),
});
export type StudyResults = z.infer<typeof StudyResults>;
