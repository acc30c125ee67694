/**
 * Projected images again from their latents: the generator synthesises each image's w with its
 * own optimised noise maps and the images are quantised as the projection quantised them
 * (`synthesize` and `toLevels` of the optimisation step, one home), so `regenerateProjection` of a
 * finished projection folder gives back its `projected/` images (tested, latent-files.test.ts).
 */
import type { Generator } from '@dermagan/gan';
import type { Tensor3D, Tensor4D } from '@tensorflow/tfjs-core';
import type { Tf } from '@dermagan/tf';
import { ProjectorError } from './errors.ts';
import { readLatents, type ProjectionLatents } from './latent-files.ts';
import { synthesize, toLevels } from './step.ts';

export interface SynthesizeOptions {
  /** Images synthesised at once (memory), default 16: the images do not depend on it. */
  batch?: number;
}

/** uint8 images [n·r·r·3] of G from latents (w [n·numWs·wDim], noise maps per layer [n·r·r]). */
export function synthesizeProjection(tf: Tf, G: Generator, latents: ProjectionLatents, options: SynthesizeOptions = {}): Uint8Array {
  const { n } = latents;
  const { numWs } = G;
  const { wDim, resolution } = G.cfg;
  const inputs = G.synthesis.noiseInputs();
  if (latents.w.length !== n * numWs * wDim) throw new ProjectorError(`w holds ${latents.w.length} values; ${n} images of this generator need [${n}, ${numWs}, ${wDim}]`);
  if (latents.noise.length !== inputs.length) throw new ProjectorError(`${latents.noise.length} noise maps given; this generator has ${inputs.length} noise inputs (${inputs.map((i) => i.name).join(', ')})`);
  inputs.forEach((input, i) => {
    const r = input.resolution;
    if (latents.noise[i]!.length !== n * r * r) throw new ProjectorError(`the noise of layer ${input.name} holds ${latents.noise[i]!.length} values; ${n} images need [${n}, ${r}, ${r}]`);
  });
  const ctx = { G, noiseNames: inputs.map((i) => i.name) };
  const batch = Math.max(1, options.batch ?? 16);
  const per = resolution * resolution * 3;
  const out = new Uint8Array(n * per);
  for (let start = 0; start < n; start += batch) {
    const b = Math.min(batch, n - start);
    const levels = tf.tidy(() => {
      const w = tf.tensor3d(latents.w.subarray(start * numWs * wDim, (start + b) * numWs * wDim), [b, numWs, wDim]) as Tensor3D;
      const noise = inputs.map((input, i) => {
        const rr = input.resolution * input.resolution;
        return tf.tensor4d(latents.noise[i]!.subarray(start * rr, (start + b) * rr), [b, input.resolution, input.resolution, 1]) as Tensor4D;
      });
      return toLevels(tf, synthesize(ctx, tf, w, noise)).dataSync() as Float32Array;
    });
    out.set(levels, start * per);
  }
  return out;
}

/** The projected images of a finished projection folder (every image, or the given rows), regenerated from the checkpoint's G, w.npy and noise/. */
export async function regenerateProjection(tf: Tf, G: Generator, dir: string, options: SynthesizeOptions & { rows?: readonly number[] } = {}): Promise<Uint8Array> {
  return synthesizeProjection(tf, G, await readLatents(dir, G, options.rows), options);
}
