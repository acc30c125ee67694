/**
 * `checkpoint.json`: everything in a checkpoint that is not a tensor, as one schema. The trainer
 * writes it (Trainer.checkpointFiles), and everything that reads a checkpoint back — resuming,
 * sampling, the services' progress — reads it through this schema, typed, never through a cast.
 * Fields JSON drops when undefined (convClamp, mbstdGroup, emaRampup, ADA target) come back as
 * undefined, as the engine's interfaces have them.
 */
import { z } from 'zod';
import { AUGMENT_PIPE_NAMES } from '@dermagan/contracts';
import type { AdaState } from './ada.ts';
import type { AugmentPipeState } from './augment.ts';
import type { NetworkConfig, TrainingConfig } from './config.ts';
import type { RngState } from './rng.ts';
import type { AugmentConfig, TrainerOptions } from './training-loop.ts';

export const CHECKPOINT_FORMAT = 'dermagan.gan-checkpoint/v1';

const NetworkConfigSchema = z
  .object({
    resolution: z.number().int(),
    imgChannels: z.number().int(),
    cDim: z.number().int().nonnegative(),
    zDim: z.number().int().positive(),
    wDim: z.number().int().positive(),
    mappingLayers: z.number().int().positive(),
    channelBase: z.number().int().positive(),
    channelMax: z.number().int().positive(),
    convClamp: z.number().optional(),
    mbstdGroup: z.number().int().positive().optional(),
    activation: z.enum(['lrelu', 'smooth-lrelu']),
    mappingLrMul: z.number(),
    wAvgBeta: z.number(),
  })
  .transform((n): NetworkConfig => ({ convClamp: undefined, mbstdGroup: undefined, ...n }));

const TrainingConfigSchema = z
  .object({
    batch: z.number().int().positive(),
    lr: z.number(),
    betas: z.tuple([z.number(), z.number()]),
    eps: z.number(),
    r1Gamma: z.number(),
    r1Interval: z.number().int().positive(),
    plWeight: z.number(),
    plInterval: z.number().int().positive(),
    plBatchShrink: z.number().int().positive(),
    plDecay: z.number(),
    styleMixing: z.number(),
    emaKimg: z.number(),
    emaRampup: z.number().optional(),
  })
  .transform((t): TrainingConfig => ({ emaRampup: undefined, ...t }));

const AugmentConfigSchema = z
  .object({ pipe: z.enum(AUGMENT_PIPE_NAMES), target: z.number().optional(), p: z.number(), interval: z.number().int().positive(), kimg: z.number() })
  .transform((a): AugmentConfig => ({ target: undefined, ...a }));

export const TrainerOptionsSchema = z
  .object({
    config: z.object({ network: NetworkConfigSchema, training: TrainingConfigSchema }),
    seed: z.number().int(),
    augment: AugmentConfigSchema,
    mirror: z.boolean().default(false),
  })
  .transform((o): TrainerOptions => o);

/** States other modules own and check themselves when they are set (Rng.setState, pipe.setState, ada.setState). */
const state = <T>(what: string) => z.custom<T>((v) => typeof v === 'object' && v !== null, { message: `${what} must be an object` });

export const CheckpointMeta = z.object({
  format: z.literal(CHECKPOINT_FORMAT),
  dermaganVersion: z.string(),
  createdAt: z.string(),
  /** What made the trainer (networks, hyper-parameters, seed, augmentation, mirror). */
  options: TrainerOptionsSchema,
  counters: z.object({ curNimg: z.number().nonnegative(), step: z.number().int().nonnegative(), tick: z.number().int().nonnegative(), kimg: z.number().nonnegative() }),
  rng: z.custom<RngState>((v) => Array.isArray(v) && v.length === 4, { message: 'rng must be four uint32 words' }),
  augmentPipe: state<AugmentPipeState>('augmentPipe'),
  ada: state<AdaState>('ada').nullable(),
  adaLastRt: z.number().nullable(),
  plMean: z.number(),
  optimizers: z.object({ G: z.object({ step: z.number().int().nonnegative() }).loose(), D: z.object({ step: z.number().int().nonnegative() }).loose() }),
  /** The reals: fingerprint, class names, the classes kept (one-class GANs), and how they were prepared. */
  dataset: z.object({ fingerprint: z.string(), labels: z.array(z.string()), classes: z.array(z.number().int()).nullable().optional() }).loose(),
  backend: z.record(z.string(), z.unknown()),
  paramsG: z.number().int().optional(),
  paramsD: z.number().int().optional(),
});
export type CheckpointMeta = z.output<typeof CheckpointMeta>;
/** What the trainer writes (before the schema's defaults and transforms). */
export type CheckpointMetaInput = z.input<typeof CheckpointMeta>;
