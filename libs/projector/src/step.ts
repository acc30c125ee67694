/**
 * One optimisation step for a whole batch (REFERENCE §5 "Each step", every image its own problem):
 *   1. ws = w + w-noise (broadcast to every layer in W space), synthesised with the image's own
 *      noise maps, scaled to [0, 255];
 *   2. area-downsampled to 256 when larger;
 *   3. dist = Σ(f_target − f_synth)² over the perceptual taps;
 *   4. reg = the noise regulariser;
 *   5. loss = Σ_images dist + weight·reg (images share no variable, so each gets its own gradient);
 *   6. Adam, per image (its own lr and step count);
 *   7. every noise map renormalised to zero mean, unit variance.
 */
import type { Generator } from '@dermagan/gan';
import type { Tensor, Tensor3D, Tensor4D } from '@tensorflow/tfjs-core';
import type { Tf } from '@dermagan/tf';
import { noiseRegularizer, renormalizeNoise } from './noise-regulariser.ts';
import type { ProjectorOptions } from './options.ts';
import { adamUpdate, type AdamMoments } from './per-image-adam.ts';
import { limitSize, tapDistance, type PerceptualFeatures } from './perceptual.ts';

/** The batch's optimisation variables and targets, one row per image. */
export interface BatchTensors {
  /** [B, k, wDim], k = 1 (W) or numWs (W+). */
  w: Tensor3D;
  wMoments: AdamMoments<Tensor3D>;
  /** Per noise input (synthesis order): [B, r, r, 1]. */
  noise: Tensor4D[];
  noiseMoments: Array<AdamMoments<Tensor4D>>;
  /** Perceptual taps of the target images. */
  target: Tensor[];
}

export interface StepContext {
  G: Generator;
  perceptual: PerceptualFeatures;
  options: ProjectorOptions;
  /** Noise buffer names in synthesis order (G.synthesis.noiseInputs()). */
  noiseNames: string[];
}

export interface StepInputs {
  /** Learning rate per image. */
  lr: Float32Array;
  /** Adam step count per image after this step. */
  t: Int32Array;
  /** w noise per image, already scaled, [B·k·wDim]. */
  wNoise: Float32Array;
}

/** Images in [0, 255] from ws and the batch's noise maps (the reference's `(synth + 1)·255/2`). */
export function synthesize(ctx: Pick<StepContext, 'G' | 'noiseNames'>, tf: Tf, w: Tensor3D, noise: readonly Tensor4D[]): Tensor4D {
  const { G } = ctx;
  const ws = w.shape[1] === 1 ? (tf.tile(w, [1, G.numWs, 1]) as Tensor3D) : w;
  const given = new Map(ctx.noiseNames.map((name, i) => [name, noise[i]!]));
  return tf.mul(tf.add(G.synthesis.apply(ws, { noiseMode: 'given', noise: given }), 1), 127.5) as Tensor4D;
}

/** Images in [0, 255] → uint8 levels, clamp(x + 0.5) floored: the generator's samples' (x·127.5 + 128 of images in [−1, 1]). */
export function toLevels(tf: Tf, images: Tensor4D): Tensor4D {
  return tf.floor(tf.clipByValue(tf.add(images, 0.5), 0, 255)) as Tensor4D;
}

/** Perceptual taps of images in [0, 255], downsampled first when larger than the limit. */
export function perceptualTaps(ctx: StepContext, tf: Tf, images: Tensor4D): Tensor[] {
  return ctx.perceptual.taps(limitSize(tf, images, ctx.options.maxFeatureSize));
}

/** Take one step; returns the new batch (the old tensors are disposed) and each image's distance before the step. */
export function projectionStep(tf: Tf, ctx: StepContext, batch: BatchTensors, inputs: StepInputs): { batch: BatchTensors; distance: Tensor } {
  const o = ctx.options;
  let distance: Tensor | undefined;
  const next = tf.tidy(() => {
    const wNoise = tf.tensor3d(inputs.wNoise, batch.w.shape);
    const loss = (w: Tensor, ...noise: Tensor[]) => {
      const images = synthesize(ctx, tf, tf.add(w, wNoise) as Tensor3D, noise as Tensor4D[]);
      const dist = tapDistance(tf, batch.target, perceptualTaps(ctx, tf, images));
      const reg = noiseRegularizer(tf, noise as Tensor4D[]);
      distance = tf.keep(dist.clone());
      return tf.sum(tf.add(dist, tf.mul(reg, o.regularizeNoiseWeight)));
    };
    const grads = tf.grads(loss)([batch.w, ...batch.noise]);
    const step = { lr: inputs.lr, t: inputs.t, betas: o.betas, eps: o.eps };
    const w = adamUpdate(tf, batch.w, grads[0]!, batch.wMoments, step);
    const noise = batch.noise.map((n, i) => adamUpdate(tf, n, grads[i + 1]!, batch.noiseMoments[i]!, step));
    return {
      w: w.x,
      wMoments: { m: w.m, v: w.v },
      noise: noise.map((u) => renormalizeNoise(tf, u.x)),
      noiseMoments: noise.map((u) => ({ m: u.m, v: u.v })),
    };
  });
  disposeVariables(tf, batch);
  return { batch: { ...next, target: batch.target }, distance: distance! };
}

/** Dispose the optimisation variables (not the targets, which outlive a step). */
export function disposeVariables(tf: Tf, batch: BatchTensors): void {
  tf.dispose([batch.w, batch.wMoments.m, batch.wMoments.v, ...batch.noise, ...batch.noiseMoments.flatMap((m) => [m.m, m.v])]);
}
