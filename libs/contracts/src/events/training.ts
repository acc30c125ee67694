import { z } from 'zod';
import { ArtifactRef, FolderRef, OutputLocation } from '../artifact.ts';
import { defineEvent } from '../event.ts';
import { SnapshotMetrics } from '../options/evaluation.ts';
import { GanTrainingOptions } from '../options/gan-training.ts';
import { Numbers } from './numbers.ts';

/** GAN training (services/gan-trainer). */

export const TrainingRequested = defineEvent(
  'org.dermagan.training.requested.v1',
  z.object({
    /** Run name, unique within the study (e.g. `ben-gan`); checkpoints live under output.prefix. */
    run: z.string().min(1),
    dataset: FolderRef,
    /** Train on one class only (ben-GAN = 0, mal-GAN = 1); null = all images. */
    classFilter: z.number().int().nonnegative().nullable().default(null),
    /** StyleGAN2-ADA options (res, kimg, cond, aug, batch, …); absent fields take libs/gan's defaults. */
    config: GanTrainingOptions,
    output: OutputLocation,
    /** Metrics of every checkpoint (fid5k), into the progress events and the history. */
    snapshotMetrics: SnapshotMetrics.default({ metrics: [], preprocessing: 'sg2ada' }),
    /** GPUs the run asks for where training runs as Kubernetes Jobs (services/launcher); absent = the launcher's default. */
    gpus: z.number().int().min(0).max(64).optional(),
  }),
);

export const TrainingProgress = defineEvent(
  'org.dermagan.training.progress.v1',
  z.object({ run: z.string(), kimg: z.number().nonnegative(), totalKimg: z.number().positive(), stats: Numbers }),
);

export const CheckpointSaved = defineEvent(
  'org.dermagan.checkpoint.saved.v1',
  z.object({ run: z.string(), checkpoint: FolderRef, kimg: z.number().nonnegative() }),
);

export const TrainingCompleted = defineEvent(
  'org.dermagan.training.completed.v1',
  z.object({
    run: z.string(),
    checkpoint: FolderRef,
    kimg: z.number().nonnegative(),
    /** Per-tick statistics (the training curves), as a JSON artifact. */
    history: ArtifactRef,
    /** Whether this run continued from an earlier checkpoint, and from which kimg. */
    resumedFromKimg: z.number().nonnegative().nullable(),
    wallSeconds: z.number().nonnegative(),
  }),
);
