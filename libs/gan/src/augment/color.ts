/**
 * Execute one colour transform per sample: a 4×4 homogeneous matrix C applied to [r, g, b, 1]
 * (for 1-channel images, the mean of C's first three rows, as the reference does). Layout NHWC.
 */
import type { Tensor4D } from '@tensorflow/tfjs-core';
import type { Tf } from '@dermagan/tf';
import type { Mat4 } from './matrices.ts';

/** Apply C (one per sample, from `colorMatrix`) to `images` [N, H, W, 1 | 3]; same shape out. */
export function applyColor(tf: Tf, images: Tensor4D, c: readonly Mat4[]): Tensor4D {
  const [n, h, w, ch] = images.shape;
  return tf.tidy(() => {
    if (ch === 3) {
      // out[n, pix, i] = Σ_j x[n, pix, j] · C[n, i, j] + C[n, i, 3]  ⇒  x · (C[:3, :3])ᵀ + t
      const mt = new Float32Array(n * 9);
      const t = new Float32Array(n * 3);
      c.forEach((m, k) => {
        for (let i = 0; i < 3; i++) {
          for (let j = 0; j < 3; j++) mt[k * 9 + j * 3 + i] = m[i * 4 + j]!;
          t[k * 3 + i] = m[i * 4 + 3]!;
        }
      });
      const flat = tf.reshape(images, [n, h * w, 3]);
      const out = tf.add(tf.matMul(flat, tf.tensor3d(mt, [n, 3, 3])), tf.tensor3d(t, [n, 1, 3]));
      return tf.reshape(out, [n, h, w, 3]);
    }
    // Luminance only: gain = mean_i Σ_j C[i, j], offset = mean_i C[i, 3].
    const gain = c.map((m) => [0, 1, 2].reduce((s, i) => s + m[i * 4]! + m[i * 4 + 1]! + m[i * 4 + 2]!, 0) / 3);
    const offset = c.map((m) => (m[3]! + m[7]! + m[11]!) / 3);
    return tf.add(tf.mul(images, tf.tensor4d(gain, [n, 1, 1, 1])), tf.tensor4d(offset, [n, 1, 1, 1]));
  });
}
