/**
 * Bilinear resampling of a batch under one affine map per sample, zero outside the image
 * (torch `grid_sample(mode='bilinear', padding_mode='zeros', align_corners=False)` semantics),
 * written with a flat `gather` and arithmetic weights: GatherV2 has a gradient (and a
 * second-order one) on native TF, where GatherNd and the image Transform op have none.
 *
 * Gradients flow to the image only; the sampling grid is a constant computed from the matrices.
 */
import type { Tensor4D } from '@tensorflow/tfjs-core';
import type { Tf } from '@dermagan/tf';

/**
 * Sample `image` [N, Hi, Wi, C] (NHWC) at an [N, Ho, Wo] grid.
 *
 * @param affine per sample the top two rows [a, b, c, d, e, f] of a matrix mapping an output
 *   pixel (x, y), in pixel units relative to the output centre ((Wo−1)/2, (Ho−1)/2), to an input
 *   position relative to the input centre: x_in = a·x + b·y + c, y_in = d·x + e·y + f.
 */
export function affineBilinearSample(
  tf: Tf,
  image: Tensor4D,
  affine: readonly (readonly number[])[],
  outHeight: number,
  outWidth: number,
): Tensor4D {
  const [n, hi, wi, c] = image.shape;
  if (affine.length !== n) {
    throw new RangeError(`affineBilinearSample: expected ${n} affine maps (one per sample), got ${affine.length}`);
  }
  // Tap indices into the flattened image and bilinear weights, computed on the CPU in float64
  // (cheaper than ~40 full-size tensor ops, and exact): 4 taps × N × Ho × Wo.
  const m = n * outHeight * outWidth;
  const index = new Int32Array(4 * m);
  const weight = new Float32Array(4 * m);
  const cxo = (outWidth - 1) / 2;
  const cyo = (outHeight - 1) / 2;
  const cxi = (wi - 1) / 2;
  const cyi = (hi - 1) / 2;
  let k = 0;
  for (let b = 0; b < n; b++) {
    const [a0, a1, a2, a3, a4, a5] = affine[b] as [number, number, number, number, number, number];
    const base = b * hi * wi;
    for (let i = 0; i < outHeight; i++) {
      const yo = i - cyo;
      for (let j = 0; j < outWidth; j++, k++) {
        const xo = j - cxo;
        const px = a0 * xo + a1 * yo + a2 + cxi;
        const py = a3 * xo + a4 * yo + a5 + cyi;
        const x0 = Math.floor(px);
        const y0 = Math.floor(py);
        const fx = px - x0;
        const fy = py - y0;
        for (let t = 0; t < 4; t++) {
          const xi = x0 + (t & 1);
          const yi = y0 + (t >> 1);
          // Taps outside the image read pixel 0 with weight 0 (zero padding).
          const inside = xi >= 0 && xi < wi && yi >= 0 && yi < hi;
          index[t * m + k] = inside ? base + yi * wi + xi : 0;
          weight[t * m + k] = inside ? (t & 1 ? fx : 1 - fx) * (t >> 1 ? fy : 1 - fy) : 0;
        }
      }
    }
  }
  return tf.tidy(() => {
    const flat = tf.reshape(image, [n * hi * wi, c]);
    const taps = tf.unstack(tf.reshape(tf.gather(flat, tf.tensor1d(index, 'int32')), [4, m, c]));
    const weights = tf.unstack(tf.tensor3d(weight, [4, m, 1]));
    // addN of the four weighted taps (a sum over a leading axis of 4 is ~4× slower in TF).
    const out = tf.addN(taps.map((t, i) => tf.mul(t, weights[i]!)));
    return tf.reshape(out, [n, outHeight, outWidth, c]) as Tensor4D;
  });
}
