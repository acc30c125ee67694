import { STUDY_AUGMENTATION, type AugmentOptions } from './data/augment.ts';
import type { Architecture } from './models/architectures.ts';

/** How class imbalance is handled in training. */
export type Balance = 'none' | 'weights' | 'sampling';

/** Every training option, one place for the defaults (the study's values where it had one). */
export interface TrainOptions {
  /** Network: the small CNN (CPU, tests), EfficientNet-B2 (the study's, from scratch) or EfficientNet-Lite2 (ImageNet-pretrained). */
  arch: Architecture;
  /** Input side in pixels; undefined = the architecture's default (224 for EfficientNet-Lite2), else the dataset's size (images are resized bilinearly otherwise). */
  size: number | undefined;
  /** Maximum epochs (the study: 20). */
  epochs: number;
  /** Early stopping: stop after this many epochs without a better validation AUC (the study: 3). */
  patience: number;
  /** Adam learning rate (the study: 5e-4); betas 0.9 / 0.999, ε 1e-8 as PyTorch's. */
  learningRate: number;
  /** Training batch size (the study: 32). */
  batchSize: number;
  /** Batch size for validation / test / embedding passes. */
  evalBatchSize: number;
  /** `weights`: the loss weights class c by n / (2·n_c); `sampling`: each epoch draws n images
   *  with replacement, both classes equally likely; `none`: plain shuffled epochs. */
  balance: Balance;
  /** Train-time augmentation (the study: rotation ±30°, horizontal and vertical flips). */
  augment: AugmentOptions;
  /** Seed of the initialisers, dropout, shuffling, sampling and augmentation (the study: 2022). */
  seed: number;
  /** EfficientNet-B2 stochastic depth: drop rate of the last block (block b: rate·b/blocks); 0 = off. */
  dropConnectRate: number;
  /** Epochs at the start that train only the new head on the frozen pretrained backbone (its batch
   *  norm in inference mode), before everything is fine-tuned; 0 when the network starts from scratch. */
  warmupEpochs: number;
  /** Pretrained weights (tfjs model URI: file://…/model.json or https://…, loaded by layer name); undefined =
   *  the architecture's own (EfficientNet-Lite2: ImageNet, provisioned by `npm run setup`; the others: from scratch). */
  weights: string | undefined;
  /** Cap on training steps per epoch (benchmarks, smoke runs); undefined = the whole set. */
  maxStepsPerEpoch: number | undefined;
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  arch: 'small',
  size: undefined,
  epochs: 20,
  patience: 3,
  learningRate: 5e-4,
  batchSize: 32,
  evalBatchSize: 64,
  balance: 'none',
  augment: STUDY_AUGMENTATION,
  seed: 2022,
  dropConnectRate: 0.2,
  warmupEpochs: 2,
  weights: undefined,
  maxStepsPerEpoch: undefined,
};

/** Fraction of the training side held out (by patient) for validation. */
export const DEFAULT_VALIDATION_FRACTION = 0.2;
