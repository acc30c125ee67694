/**
 * Integrated gradients (Sundararajan, Taly & Yan 2017): the attribution of pixel i is
 * (x_i − x'_i) · mean over α ∈ linspace(0, 1, steps) of ∂f(x' + α(x − x'))/∂x_i, for a baseline
 * x' — as the PAIR saliency library's IntegratedGradients (steps points including both ends).
 * Images are unit-range RGB [H, W, 3]; the model function takes a batch of them and returns one
 * score per image (it does its own normalisation), so "black" is 0 and "white" is 1.
 */
import type { Tf } from '@dermagan/tf';
import { check } from '../errors.ts';

type Tensor = import('@tensorflow/tfjs').Tensor;
type Tensor4D = import('@tensorflow/tfjs').Tensor4D;

/** Unit-range images [n, H, W, 3] → scores [n] (differentiable). */
export type ScoreFunction = (images: Tensor4D) => Tensor;

export interface IntegratedGradientsOptions {
  /** Points on the path, both ends included (PAIR's default 100; XRAI's too). */
  steps: number;
  /** Path points per forward/backward pass. */
  batch: number;
}

export const DEFAULT_IG: IntegratedGradientsOptions = { steps: 100, batch: 25 };

/** A baseline: 'black' (0), 'white' (1), or an image of the same shape. */
export type Baseline = 'black' | 'white' | Float32Array;

/** image: unit-range [size, size, 3] → attributions [size, size, 3]. */
export function integratedGradients(tf: Tf, score: ScoreFunction, image: Float32Array, size: number, baseline: Baseline, options: Partial<IntegratedGradientsOptions> = {}): Float32Array {
  const o = { ...DEFAULT_IG, ...options };
  const per = size * size * 3;
  check(image.length === per, 'integratedGradients', () => `image must be ${size}×${size}×3 = ${per} values, got ${image.length}`);
  check(Number.isInteger(o.steps) && o.steps >= 2, 'integratedGradients', () => `steps must be an integer ≥ 2, got ${o.steps}`);
  const base = baseline === 'black' ? new Float32Array(per) : baseline === 'white' ? new Float32Array(per).fill(1) : baseline;
  check(base.length === per, 'integratedGradients', () => `baseline must have ${per} values, got ${base.length}`);
  const grad = tf.grad((x: Tensor) => tf.sum(score(x as Tensor4D)));
  const total = new Float32Array(per);
  const xT = tf.tensor4d(image, [1, size, size, 3]);
  const bT = tf.tensor4d(base, [1, size, size, 3]);
  try {
    for (let start = 0; start < o.steps; start += o.batch) {
      const count = Math.min(o.batch, o.steps - start);
      const g = tf.tidy(() => {
        const alphas = tf.tensor1d(Array.from({ length: count }, (_, k) => (start + k) / (o.steps - 1))).reshape([count, 1, 1, 1]);
        const path = tf.add(bT, tf.mul(alphas, tf.sub(xT, bT)));
        return tf.sum(grad(path), 0);
      });
      const values = g.dataSync() as Float32Array;
      g.dispose();
      for (let i = 0; i < per; i++) total[i]! += values[i]!;
    }
  } finally {
    xT.dispose();
    bT.dispose();
  }
  for (let i = 0; i < per; i++) total[i] = (total[i]! * (image[i]! - base[i]!)) / o.steps;
  return total;
}

/** Plain gradient × input would be the 1-step case; IG summed over channels gives a signed map [size, size]. */
export function channelSum(attribution: Float32Array, size: number): Float32Array {
  const out = new Float32Array(size * size);
  for (let p = 0; p < size * size; p++) out[p] = attribution[p * 3]! + attribution[p * 3 + 1]! + attribution[p * 3 + 2]!;
  return out;
}
