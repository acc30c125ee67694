/**
 * A federation's global model seen from the engine: the initial one (a fresh model's tensors that
 * the GAN-state policy exchanges) and a global weight set turned into a training checkpoint (for
 * the generator, metrics, `dermagan generate`). Counters, optimiser moments and ADA state of such
 * a checkpoint are a fresh trainer's: it samples, it is not meant to resume the federation.
 */
import type { FederatedGanTrainingOptions } from '@dermagan/contracts';
import { tensorsToExchange, type GanStatePolicy, type WeightSet } from '@dermagan/federation';
import { MemoryCheckpointSink, type CheckpointSink } from './checkpoint.ts';
import { freshModel, type FreshModelOptions } from './fresh-model.ts';
import { generateImages, loadGenerator } from './generate.ts';
import type { Tf } from './tf-types.ts';
import { loadWeightSet, trainerToWeightSet } from './weight-set.ts';

/**
 * The global model of round 1 (the reference's server initialises its own models): a fresh model's
 * G, D and G_ema (and moments when the policy averages them), seeded by the federation's seed.
 */
export function initialGlobalModel(tf: Tf, training: FederatedGanTrainingOptions, policy: GanStatePolicy, fresh: FreshModelOptions = {}): WeightSet {
  const model = freshModel(tf, training, fresh);
  try {
    return { tensors: tensorsToExchange(policy, trainerToWeightSet(model, {}).tensors), scalars: {} };
  } finally {
    model.dispose();
  }
}

/** Save a global weight set as a training checkpoint through `sink` (the one writer of federated checkpoints). */
export async function saveGlobalModel(tf: Tf, training: FederatedGanTrainingOptions, global: WeightSet, sink: CheckpointSink, fresh: FreshModelOptions = {}): Promise<void> {
  const model = freshModel(tf, training, fresh);
  try {
    loadWeightSet(model, global);
    await model.save(sink);
  } finally {
    model.dispose();
  }
}

/** n G_ema images of a global weight set (seeds 0…n−1, no truncation), uint8 NHWC (per-round scores). */
export async function sampleGlobalModel(tf: Tf, training: FederatedGanTrainingOptions, global: WeightSet, n: number, fresh: FreshModelOptions = {}): Promise<Uint8Array> {
  const sink = new MemoryCheckpointSink();
  await saveGlobalModel(tf, training, global, sink, fresh);
  const loaded = await loadGenerator(tf, sink);
  const per = training.res * training.res * 3;
  const pixels = new Uint8Array(n * per);
  let i = 0;
  try {
    await generateImages(tf, loaded, { n, seed: 0, truncation: 1 }, (images) => {
      for (const image of images) if (i < n) pixels.set(image.pixels, per * i++);
    });
  } finally {
    loaded.G.ps.dispose();
  }
  return pixels;
}
