import type { Tf } from '@dermagan/tf';
import { classCounts } from './data/images.ts';

type Tensor = import('@tensorflow/tfjs').Tensor;
type Scalar = import('@tensorflow/tfjs').Scalar;

/**
 * Binary cross-entropy on logits (PyTorch's BCEWithLogitsLoss, the study's loss), per-sample
 * weighted and averaged: mean_i w_i·(max(z_i, 0) − z_i·y_i + log(1 + e^−|z_i|)).
 */
export function weightedBce(tf: Tf, logits: Tensor, labels: Tensor, weights: Tensor): Scalar {
  const z = logits.reshape([-1]);
  const perSample = tf.relu(z).sub(z.mul(labels)).add(tf.log1p(tf.exp(tf.neg(tf.abs(z)))));
  return perSample.mul(weights).mean() as Scalar;
}

/** Class weights n / (2·n_c) (scikit-learn's 'balanced'): both classes weigh n/2 in total. */
export function classWeights(labels: ArrayLike<number>): [number, number] {
  const [neg, pos] = classCounts(labels);
  const n = neg + pos;
  return [n / (2 * neg), n / (2 * pos)];
}
