/**
 * The feature spaces the projector and the audit measure in, as @dermagan/metrics extractors:
 * the perceptual taps flattened (so a squared Euclidean distance is the perceptual distance) and
 * the classifier's embedding (its penultimate layer, the space of the paper's cosine distances).
 */
import { createHash } from 'node:crypto';
import { EMBEDDING_LAYER, embed, type ClassifierCard } from '@dermagan/classifier';
import type { FeatureExtractor } from '@dermagan/metrics';
import type { Tensor4D } from '@tensorflow/tfjs-core';
import type { Tf } from '@dermagan/tf';
import { ProjectorError } from './errors.ts';
import { limitSize, type PerceptualFeatures } from './perceptual.ts';

/** Flat perceptual features of `size`² images: Σ(f_a − f_b)² = the projector's distance. */
export function perceptualExtractor(tf: Tf, perceptual: PerceptualFeatures, size: number, maxFeatureSize: number): FeatureExtractor {
  const flat = (images: Tensor4D) => tf.tidy(() => tf.concat(perceptual.taps(limitSize(tf, images, maxFeatureSize)).map((t) => tf.reshape(t, [t.shape[0]!, -1])), 1));
  const probe = flat(tf.zeros([1, size, size, 3]));
  const dim = probe.shape[1]!;
  probe.dispose();
  return {
    id: perceptual.id,
    hash: perceptual.hash,
    inputSize: size,
    resize: 'none',
    dim,
    async extract(pixels, n, s) {
      if (s !== size) throw new ProjectorError(`the ${perceptual.id} space was set up for ${size}² images, got ${s}²`);
      const f = tf.tidy(() => flat(tf.tensor4d(pixels, [n, s, s, 3], 'float32')));
      const data = (await f.data()) as Float32Array;
      f.dispose();
      return data;
    },
  };
}

type LayersModel = import('@tensorflow/tfjs').LayersModel;

/** The classifier's penultimate-layer embedding (`classifier-embedding`); images must be the size it was trained on. */
export function classifierExtractor(tf: Tf, model: LayersModel, card: ClassifierCard, source: string): FeatureExtractor {
  const layer = model.getLayer(EMBEDDING_LAYER);
  const dim = (layer.outputShape as number[])[1]!;
  return {
    id: 'classifier-embedding',
    hash: createHash('sha256').update(JSON.stringify({ source, arch: card.arch, createdAt: card.provenance.createdAt, bestEpoch: card.training.bestEpoch })).digest('hex'),
    inputSize: card.inputSize,
    resize: 'none',
    dim,
    async extract(pixels, n, size) {
      if (size !== card.dataSize) {
        throw new ProjectorError(`the classifier ${source} was trained on ${card.dataSize}² images; these are ${size}²: use a classifier trained at ${size}²`);
      }
      const set = { pixels, labels: new Int32Array(n), ids: [], patients: [], origins: [], size };
      return (await embed(tf, model, set, { size: card.inputSize, normalization: card.normalization }, 64)).data;
    },
  };
}

/** 1 − cos(a_i, b_i) per row of two [n, d] matrices (0 = same direction; NaN when a row is all zeros). */
export function cosineDistances(a: Float32Array, b: Float32Array, n: number, d: number): Float64Array {
  if (a.length !== n * d || b.length !== n * d) throw new ProjectorError(`cosineDistances: expected two [${n}, ${d}] matrices`);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let j = 0; j < d; j++) {
      const x = a[i * d + j]!;
      const y = b[i * d + j]!;
      ab += x * y;
      aa += x * x;
      bb += y * y;
    }
    out[i] = 1 - ab / Math.sqrt(aa * bb);
  }
  return out;
}
