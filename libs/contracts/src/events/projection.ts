import { z } from 'zod';
import { ArtifactRef, FolderRef, OutputLocation } from '../artifact.ts';
import { defineEvent } from '../event.ts';
import { ImageSelection, ProjectionOptions } from '../options/projection.ts';

/**
 * Feature spaces the privacy audit can search for copies besides the projector's distance: the
 * provisioned networks (libs/metrics extractor ids) and the trained classifier's embedding.
 */
export const AUDIT_SPACES = ['inception-2015', 'efficientnet-lite2', 'classifier'] as const;
export type AuditSpace = (typeof AUDIT_SPACES)[number];

/**
 * Projection of real images into a generator and the privacy audit built on it
 * (services/projector, libs/projector). A request handed again (redelivery) continues the
 * projections from their saved per-image states.
 */

/** Mean and quartiles of a per-image number. */
const Spread = z.object({ mean: z.number(), q1: z.number(), median: z.number(), q3: z.number() });

export const ProjectionRequested = defineEvent(
  'org.dermagan.projection.requested.v1',
  z.object({
    /** Name of the projection (its folder under output.prefix). */
    name: z.string().min(1),
    /** Generator checkpoint (G_ema). */
    checkpoint: FolderRef,
    dataset: FolderRef,
    selection: ImageSelection.default({}),
    options: ProjectionOptions.default({}),
    /** A classifier folder (classifier.json + model/) for cosine distances in its embedding; null = none. */
    classifier: FolderRef.nullable().default(null),
    output: OutputLocation,
  }),
);

/** Progress of a projection or of an audit's stages (every ~10% and at each stage's end). */
export const ProjectionProgress = defineEvent(
  'org.dermagan.projection.progress.v1',
  z.object({
    name: z.string(),
    /** `project`, or an audit stage (`project members`, `project non-members`, `generate`, `features <space>`). */
    stage: z.string(),
    done: z.number().int().nonnegative(),
    total: z.number().int().nonnegative(),
    /** Image-steps taken and to take (projection stages). */
    steps: z.number().int().nonnegative().nullable(),
    totalSteps: z.number().int().nonnegative().nullable(),
    imageStepsPerSecond: z.number().nonnegative().nullable(),
  }),
);

export const ProjectionCompleted = defineEvent(
  'org.dermagan.projection.completed.v1',
  z.object({
    name: z.string(),
    /** The output folder: projection.json (its manifest, with the latents' sha256), w.npy, noise/, projected/, projections.csv. */
    projection: FolderRef,
    images: z.number().int().nonnegative(),
    /** Images that continued from a saved state. */
    resumed: z.number().int().nonnegative(),
    space: z.enum(['w', 'w+']),
    /** The distance's space (lpips-vgg16, pixels-mse). */
    distanceSpace: z.string(),
    distance: Spread,
    mse: Spread,
    cosine: Spread.nullable(),
  }),
);

export const AuditRequested = defineEvent(
  'org.dermagan.audit.requested.v1',
  z.object({
    /** What is audited (e.g. `cgan`, `federated`); the folder under output.prefix. */
    name: z.string().min(1),
    checkpoint: FolderRef,
    /** The generator's training images (`selection.n`: a seeded sample is projected; all are searched for copies). */
    members: z.object({ dataset: FolderRef, selection: ImageSelection.default({}) }),
    /** Held-out images of the same distribution. */
    nonMembers: z.object({ dataset: FolderRef, selection: ImageSelection.default({}) }),
    /** Generated images searched for copies. */
    generated: z.number().int().positive().default(256),
    /** Feature spaces searched besides the projector's distance: `inception-2015`, `efficientnet-lite2` (the ImageNet backbone), `classifier` (needs `classifier`). */
    spaces: z.array(z.enum(AUDIT_SPACES)).default(['inception-2015']),
    options: ProjectionOptions.default({}),
    classifier: FolderRef.nullable().default(null),
    /** Seed of the generated images and the samples. */
    seed: z.number().int().nonnegative().default(0),
    /** Bootstrap resamples of the AUC interval. */
    resamples: z.number().int().positive().default(1000),
    output: OutputLocation,
  }),
);

const AttackNumbers = z.object({
  membershipAuc: z.number(),
  /** Patient-level bootstrap 95% CI (null where no resample could compute an AUC). */
  membershipAucCi: z.tuple([z.number().nullable(), z.number().nullable()]),
  tprAtFpr1pct: z.number(),
  tprAtFpr01pct: z.number(),
  members: z.number().int().nonnegative(),
});

export const AuditCompleted = defineEvent(
  'org.dermagan.audit.completed.v1',
  z.object({
    name: z.string(),
    /** The portal's view of it (contracts PrivacyAudit), at `<prefix>/privacy-audit.json`. */
    privacyAudit: ArtifactRef,
    /** Everything (audit.json): per-space numbers, histograms' data, projections' summaries. */
    report: ArtifactRef,
    ...AttackNumbers.shape,
    nonMembers: z.number().int().nonnegative(),
    /** Whether the non-members resolve FPR 1% and 0.1% (n ≥ 1/FPR). */
    tprResolved: z.tuple([z.boolean(), z.boolean()]),
    copiesFlagged: z.number().int().nonnegative(),
    copyRule: z.string(),
    generated: z.number().int().nonnegative(),
    /** Per feature space: likely copies, the threshold, authenticity. */
    spaces: z.record(z.string(), z.object({ flagged: z.number().int().nonnegative(), threshold: z.number(), authenticity: z.number() })),
    /** Per federation tenant (members of one hospital against all non-members). */
    byTenant: z.array(AttackNumbers.extend({ tenant: z.string(), copiesFlagged: z.record(z.string(), z.number().int().nonnegative()) })).default([]),
  }),
);
