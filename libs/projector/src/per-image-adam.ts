/**
 * Adam (torch.optim.Adam's arithmetic) where every image of the batch is its own optimisation:
 * row i of each variable has its own step count tᵢ and learning rate lrᵢ, so images that joined
 * the batch at different times (or resumed at different steps) are updated exactly as if each ran
 * alone:
 *   m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²,
 *   x ← x − lrᵢ/(1−β1^tᵢ) · m / (√v/√(1−β2^tᵢ) + ε).
 * Functional: returns new tensors; the caller disposes the old ones.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { Tf } from '@dermagan/tf';

export interface AdamMoments<T extends Tensor = Tensor> {
  m: T;
  v: T;
}

export interface PerImageAdamStep {
  /** Learning rate per row. */
  lr: Float32Array;
  /** Step count per row after this update (1 on an image's first update). */
  t: Int32Array;
  betas: [number, number];
  eps: number;
}

/** Per-row factors shaped to broadcast against a [N, …] tensor. */
function rowFactor(tf: Tf, values: Float32Array, rank: number): Tensor {
  return tf.tensor(values, [values.length, ...Array<number>(rank - 1).fill(1)]);
}

/** One update of `x` from `g`; returns the new value and moments. */
export function adamUpdate<T extends Tensor>(tf: Tf, x: T, g: Tensor, moments: AdamMoments<T>, step: PerImageAdamStep): { x: T } & AdamMoments<T> {
  const [b1, b2] = step.betas;
  const n = x.shape[0]!;
  if (step.lr.length !== n || step.t.length !== n) throw new Error(`Error in adamUpdate: ${n} rows but ${step.lr.length} rates and ${step.t.length} step counts`);
  const stepSize = Float32Array.from(step.lr, (lr, i) => lr / (1 - b1 ** step.t[i]!));
  const denomScale = Float32Array.from(step.t, (t) => 1 / Math.sqrt(1 - b2 ** t));
  return tf.tidy(() => {
    const m = tf.add(tf.mul(moments.m, b1), tf.mul(g, 1 - b1)) as T;
    const v = tf.add(tf.mul(moments.v, b2), tf.mul(tf.square(g), 1 - b2)) as T;
    const denom = tf.add(tf.mul(tf.sqrt(v), rowFactor(tf, denomScale, x.rank)), step.eps);
    const next = tf.sub(x, tf.mul(tf.div(m, denom), rowFactor(tf, stepSize, x.rank))) as T;
    return { x: next, m, v };
  });
}
