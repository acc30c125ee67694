/**
 * The noise-map regulariser (REFERENCE §5): per map and per 2×-average-pooled level down to 8×8,
 * the squared mean of the map times itself shifted one pixel (cyclically) along x, and along y —
 * it keeps the optimised maps free of spatial correlation, so they cannot carry the image.
 * Per image: maps are [N, r, r, 1] and each image gets its own sum.
 */
import type { Tensor1D, Tensor4D } from '@tensorflow/tfjs-core';
import type { Tf } from '@dermagan/tf';

/** torch.roll(x, 1, dim): the last slice first. */
function roll1(tf: Tf, x: Tensor4D, axis: 1 | 2): Tensor4D {
  const n = x.shape[axis];
  const at = (value: number) => [0, 1, 2, 3].map((a) => (a === axis ? value : 0));
  const extent = (value: number) => [0, 1, 2, 3].map((a) => (a === axis ? value : -1));
  return tf.concat([tf.slice(x, at(n - 1), extent(1)), tf.slice(x, at(0), extent(n - 1))], axis) as Tensor4D;
}

/** Σ over maps and levels of mean(n·roll_x n)² + mean(n·roll_y n)², per image: [N]. */
export function noiseRegularizer(tf: Tf, maps: readonly Tensor4D[]): Tensor1D {
  return tf.tidy(() => {
    const terms: Tensor1D[] = [];
    for (const map of maps) {
      if (map.rank !== 4 || map.shape[1] !== map.shape[2] || map.shape[3] !== 1) throw new Error(`Error in noiseRegularizer: maps must be [N, r, r, 1], got [${map.shape}]`);
      let noise = map;
      for (;;) {
        terms.push(tf.square(tf.mean(tf.mul(noise, roll1(tf, noise, 2)), [1, 2, 3])) as Tensor1D);
        terms.push(tf.square(tf.mean(tf.mul(noise, roll1(tf, noise, 1)), [1, 2, 3])) as Tensor1D);
        if (noise.shape[1] <= 8) break;
        noise = tf.avgPool(noise, 2, 2, 'valid') as Tensor4D;
      }
    }
    return tf.addN(terms);
  });
}

/** Each map of each image to zero mean and unit variance (after every step, as the reference). */
export function renormalizeNoise(tf: Tf, map: Tensor4D): Tensor4D {
  return tf.tidy(() => {
    const centred = tf.sub(map, tf.mean(map, [1, 2, 3], true));
    return tf.mul(centred, tf.rsqrt(tf.mean(tf.square(centred), [1, 2, 3], true))) as Tensor4D;
  });
}
