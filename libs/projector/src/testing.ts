/**
 * Test helpers: a tiny generator whose images stay inside [−1, 1] (so a uint8 target is
 * reachable), and targets generated from known latents.
 */
import { Generator, preset, Rng } from '@dermagan/gan';
import type { Tensor3D } from '@tensorflow/tfjs-core';
import type { Tf } from '@dermagan/tf';
import type { ProjectionTarget } from './batch.ts';

/** The 'test' preset at `res`, toRGB weights scaled down, every noise strength set to `noiseStrength`. */
export function tinyGenerator(tf: Tf, res: number, seed: number, noiseStrength: number): Generator {
  const G = new Generator(tf, preset('test', res).network, seed);
  for (const [name, v] of G.ps.params) {
    if (name.endsWith('noise_strength')) v.assign(tf.scalar(noiseStrength));
    if (name.endsWith('torgb.weight')) v.assign(tf.mul(v, 0.15));
  }
  return G;
}

/** n targets made from w* = mapping(z) (const noise), and those w*, [n·wDim]. */
export function knownLatentTargets(tf: Tf, G: Generator, n: number, seed: number): { targets: ProjectionTarget[]; wStar: Float32Array } {
  const { zDim, wDim, resolution: r } = G.cfg;
  const rng = new Rng(seed);
  const [u8, wStar] = tf.tidy(() => {
    const z = tf.tensor2d(rng.normal(n * zDim), [n, zDim]);
    const ws = G.mapping.apply(z, undefined) as Tensor3D;
    const images = G.synthesis.apply(ws, { noiseMode: 'const' });
    return [tf.floor(tf.clipByValue(tf.add(tf.mul(images, 127.5), 128), 0, 255)).dataSync() as Float32Array, tf.slice(ws, [0, 0, 0], [n, 1, wDim]).dataSync() as Float32Array];
  });
  const per = r * r * 3;
  const targets = Array.from({ length: n }, (_, i) => ({ id: `w*${i}`, label: null, pixels: Uint8Array.from(u8.subarray(i * per, (i + 1) * per)) }));
  return { targets, wStar };
}
