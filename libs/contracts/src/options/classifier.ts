import { z } from 'zod';

/**
 * Options of one utility experiment (`utility.requested`, the study presets' `classifier`): the
 * melanoma classifier's training options plus which synthetic images join the real ones. A field
 * left out takes libs/classifier's default (its one table, DEFAULT_TRAIN_OPTIONS); libs/classifier
 * maps these onto an experiment in one place (experimentOptionsFrom).
 */

/**
 * Networks: a small CNN (CPU, tests), EfficientNet-B2 (the study's network, trained from scratch
 * here: no ImageNet B2 weights are reachable) and EfficientNet-Lite2 (ImageNet-pretrained,
 * fine-tuned).
 */
export const CLASSIFIER_ARCHITECTURES = ['small', 'efficientnet-b2', 'efficientnet-lite2'] as const;
export type ClassifierArchitecture = (typeof CLASSIFIER_ARCHITECTURES)[number];

/** What a classifier trains on; it is always tested on real held-out images. */
export const UTILITY_SCENARIOS = ['real', 'synth', 'real+synth'] as const;
export type UtilityScenario = (typeof UTILITY_SCENARIOS)[number];

export const ClassifierOptions = z.object({
  arch: z.enum(CLASSIFIER_ARCHITECTURES).optional(),
  /** Input side in pixels (absent = the dataset's). */
  size: z.number().int().positive().optional(),
  /** Maximum epochs. */
  epochs: z.number().int().positive().optional(),
  /** Early stopping: epochs without a better validation AUC. */
  patience: z.number().int().positive().optional(),
  learningRate: z.number().positive().optional(),
  batchSize: z.number().int().positive().optional(),
  evalBatchSize: z.number().int().positive().optional(),
  /** Class imbalance: loss weights, balanced sampling, or none. */
  balance: z.enum(['none', 'weights', 'sampling']).optional(),
  /** Train-time augmentation (rotation ±maxDegrees, flips). */
  augment: z.object({ maxDegrees: z.number().min(0).max(180), horizontalFlip: z.boolean(), verticalFlip: z.boolean() }).optional(),
  seed: z.number().int().optional(),
  /** EfficientNet stochastic depth: drop rate of the last block; 0 = off. */
  dropConnectRate: z.number().min(0).lt(1).optional(),
  /** Epochs that train only the new head on a frozen pretrained backbone before it is unfrozen. */
  warmupEpochs: z.number().int().nonnegative().optional(),
  /** Pretrained weights (tfjs model URI). */
  weights: z.string().min(1).optional(),
  /** Cap on training steps per epoch (smoke runs). */
  maxStepsPerEpoch: z.number().int().positive().optional(),
  /** real+synth: synthetic images per real training image. */
  synthRatio: z.number().positive().optional(),
  /** real+synth: only these synthetic classes are added (the paper added malignant only). */
  synthClasses: z.array(z.number().int().nonnegative()).optional(),
  /** Bootstrap resamples of the test intervals. */
  resamples: z.number().int().positive().optional(),
});
export type ClassifierOptions = z.output<typeof ClassifierOptions>;
