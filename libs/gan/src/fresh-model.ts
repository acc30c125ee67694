/**
 * A freshly initialised model from training options: G, D, G_ema and the optimisers as a trainer
 * built with `seed` would start them. It has no data of its own (a one-image stand-in of the right
 * shape; it is never trained): it is what a federation's round 1 starts from, and the frame a
 * global model's weights are loaded into to sample from or to save as a checkpoint.
 */
import type { FederatedGanTrainingOptions } from '@dermagan/contracts';
import { trainerOptionsFrom, withGanDefaults } from './options.ts';
import type { Tf } from './tf-types.ts';
import { inMemoryData } from './training-data.ts';
import { Trainer } from './training-loop.ts';

export interface FreshModelOptions {
  /** Seed of the initialisation (default: the options' seed). */
  seed?: number;
  /** Class names the model is for (a conditional model needs the dataset's; default one class, 'all'). */
  labels?: string[];
  /** Backend provenance recorded in checkpoints made from it. */
  backend?: Record<string, unknown>;
}

/** The caller disposes the returned trainer. */
export function freshModel(tf: Tf, options: FederatedGanTrainingOptions, fresh: FreshModelOptions = {}): Trainer {
  const labels = fresh.labels ?? ['all'];
  const res = options.res;
  const standIn = inMemoryData(new Uint8Array(res * res * 3), new Int32Array(1), res, labels);
  return new Trainer(tf, standIn, trainerOptionsFrom(options, labels.length, fresh.seed ?? withGanDefaults(options).seed), fresh.backend ?? {});
}
