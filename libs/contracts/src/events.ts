import { z } from 'zod';
import { ArtifactRef, FolderRef, OutputLocation } from './artifact.ts';
import { defineEvent } from './event.ts';

/**
 * The event catalogue: one definition per event type. Services import the definitions they
 * consume and emit; the type string is also the Kafka topic.
 */

// --- ingest ---------------------------------------------------------------------------------------

export const IngestRequested = defineEvent(
  'org.dermagan.ingest.requested.v1',
  z.object({
    /** Where the source is: a CSV (ISIC 2020 train.csv, HAM10000 metadata, derm-sample metadata.csv) or a folder per class. */
    source: z.object({
      kind: z.enum(['auto', 'isic2020', 'ham10000', 'derm-sample', 'folders']).default('auto'),
      /** Path on the ingest service's filesystem (hospital-local data never travels through the bus). */
      path: z.string().min(1),
      /** Image folder when it is not beside the CSV. */
      images: z.string().optional(),
    }),
    /** Output location in the store. */
    output: z.object({ bucket: z.string().min(1), prefix: z.string().min(1) }),
    size: z.number().int().min(8).max(1024).default(256),
    /** Train fraction for the patient-grouped split, or null for no split. */
    split: z.number().gt(0).lt(1).nullable().default(0.8),
    seed: z.number().int().default(0),
    /** Tenant count or explicit tenant sizes; null for no federation partition. */
    tenants: z.union([z.number().int().positive(), z.array(z.number().int().positive()).min(1)]).nullable().default(null),
    minSide: z.number().int().positive().optional(),
  }),
);

export const DatasetIngested = defineEvent(
  'org.dermagan.dataset.ingested.v1',
  z.object({
    /** The dataset folder in the store (manifest.json + shards/). */
    dataset: FolderRef,
    accepted: z.number().int().nonnegative(),
    quarantined: z.number().int().nonnegative(),
    fingerprint: z.string(),
  }),
);

// --- study: training, generation, evaluation, utility ----------------------------------------------

/** Numbers keyed by name (losses, scores, measures); NaN is not allowed on the wire. */
const Numbers = z.record(z.string(), z.number());

export const TrainingRequested = defineEvent(
  'org.dermagan.training.requested.v1',
  z.object({
    /** Run name, unique within the study (e.g. `ben-gan`); checkpoints live under output.prefix. */
    run: z.string().min(1),
    dataset: FolderRef,
    /** Train on one class only (ben-GAN = 0, mal-GAN = 1); null = all images. */
    classFilter: z.number().int().nonnegative().nullable().default(null),
    /** StyleGAN2-ADA options (libs/gan TrainingOptions: res, kimg, cond, aug, batch, …), validated by the engine. */
    config: z.record(z.string(), z.unknown()),
    output: OutputLocation,
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

export const GenerationRequested = defineEvent(
  'org.dermagan.generation.requested.v1',
  z.object({
    checkpoint: FolderRef,
    /** Images per class label; for an unconditional GAN one entry, the class it was trained on. */
    perClass: z.record(z.string().regex(/^\d+$/), z.number().int().positive()),
    seed: z.number().int().nonnegative().default(0),
    truncation: z.number().min(0).max(2).default(1),
    output: OutputLocation,
    /** Name of the synthetic dataset. */
    name: z.string().min(1),
  }),
);

export const DatasetGenerated = defineEvent(
  'org.dermagan.dataset.generated.v1',
  z.object({ name: z.string(), dataset: FolderRef, count: z.number().int().nonnegative() }),
);

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
    options: z.record(z.string(), z.unknown()).default({}),
  }),
);

export const EvaluationCompleted = defineEvent(
  'org.dermagan.evaluation.completed.v1',
  z.object({ name: z.string(), scores: Numbers, provenance: z.record(z.string(), z.unknown()) }),
);

export const UtilityRequested = defineEvent(
  'org.dermagan.utility.requested.v1',
  z.object({
    /** Name of the row in the utility table (e.g. `synth-cGAN`). */
    name: z.string().min(1),
    scenario: z.enum(['real', 'synth', 'real+synth']),
    real: FolderRef,
    /** Synthetic datasets (several when unconditional GANs made one class each); empty for `real`. */
    synth: z.array(FolderRef).default([]),
    /** Classifier options (libs/classifier: arch, epochs, size, synthRatio, seed, …). */
    config: z.record(z.string(), z.unknown()).default({}),
    output: OutputLocation,
  }),
);

export const UtilityCompleted = defineEvent(
  'org.dermagan.utility.completed.v1',
  z.object({
    name: z.string(),
    scenario: z.enum(['real', 'synth', 'real+synth']),
    measures: z.record(z.string(), z.unknown()),
    model: FolderRef,
    provenance: z.record(z.string(), z.unknown()),
  }),
);
