/**
 * A trained generator as perceptual-path-length sees it (@dermagan/metrics `PathGenerator`, by
 * shape): w from random z (and a random class, for a conditional G — the same class for both
 * end-points is the caller's pairing of rows), images from w broadcast to every layer, noise
 * 'const' (NVlabs' ppl2_wend: const noise, no truncation).
 */
import type { LoadedGenerator } from './generate.ts';
import type { Tensor2D, Tensor3D, Tf } from './tf-types.ts';

/** The uniform / normal source PPL hands in (@dermagan/metrics `Rng`). */
export interface PathRng {
  next(): number;
  normal(): number;
}

export interface GeneratorPath {
  readonly wDim: number;
  sampleW(n: number, rng: PathRng): Float32Array;
  synthesize(ws: Float32Array, n: number): { data: Float32Array; shape: [number, number, number, number] };
}

export function generatorPath(tf: Tf, loaded: LoadedGenerator): GeneratorPath {
  const { G } = loaded;
  const { zDim, wDim, cDim } = G.cfg;
  // Labels of the pair i share the class: sampleW is called twice per batch with the same rng
  // state shape, so the class is drawn from its own stream, replayed for the second call.
  let lastClasses: Int32Array | undefined;
  return {
    wDim,
    sampleW(n, rng) {
      const z = new Float32Array(n * zDim);
      for (let i = 0; i < z.length; i++) z[i] = rng.normal();
      let classes: Int32Array | undefined;
      if (cDim > 0) {
        if (lastClasses && lastClasses.length === n) {
          classes = lastClasses;
          lastClasses = undefined;
        } else {
          classes = Int32Array.from({ length: n }, () => Math.min(cDim - 1, Math.floor(rng.next() * cDim)));
          lastClasses = classes;
        }
      }
      return tf.tidy(() => {
        const c = classes ? (tf.oneHot(tf.tensor1d(classes, 'int32'), cDim).toFloat() as Tensor2D) : undefined;
        const w = G.mapping.apply(tf.tensor2d(z, [n, zDim]), c) as Tensor3D;
        return tf.slice(w, [0, 0, 0], [n, 1, wDim]).reshape([n, wDim]).dataSync() as Float32Array;
      });
    },
    synthesize(ws, n) {
      return tf.tidy(() => {
        const w = tf.tile(tf.tensor3d(ws, [n, 1, wDim]), [1, G.numWs, 1]) as Tensor3D;
        const images = G.synthesis.apply(w, { noiseMode: 'const' });
        return { data: images.dataSync() as Float32Array, shape: images.shape as [number, number, number, number] };
      });
    },
  };
}
