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
  return tf.tidy(() => {
    const col = (k: number) => tf.tensor3d(affine.map((m) => m[k]!), [n, 1, 1]);
    const xs = tf.sub(tf.range(0, outWidth, 1, 'float32'), (outWidth - 1) / 2).reshape([1, 1, outWidth]);
    const ys = tf.sub(tf.range(0, outHeight, 1, 'float32'), (outHeight - 1) / 2).reshape([1, outHeight, 1]);
    // Input positions in pixel indices of the input image: [N, Ho, Wo].
    const px = tf.add(tf.add(tf.mul(col(0), xs), tf.mul(col(1), ys)), tf.add(col(2), (wi - 1) / 2));
    const py = tf.add(tf.add(tf.mul(col(3), xs), tf.mul(col(4), ys)), tf.add(col(5), (hi - 1) / 2));
    const x0 = tf.floor(px);
    const y0 = tf.floor(py);
    const fx = tf.sub(px, x0);
    const fy = tf.sub(py, y0);
    const base = tf.reshape(tf.mul(tf.range(0, n, 1, 'int32'), tf.scalar(hi * wi, 'int32')), [n, 1, 1]);

    const indices: ReturnType<Tf['add']>[] = [];
    const weights: ReturnType<Tf['add']>[] = [];
    for (const [dy, dx] of [[0, 0], [0, 1], [1, 0], [1, 1]] as const) {
      const xi = dx ? tf.add(x0, 1) : x0;
      const yi = dy ? tf.add(y0, 1) : y0;
      const wx = dx ? fx : tf.sub(1, fx);
      const wy = dy ? fy : tf.sub(1, fy);
      // Taps outside the image read pixel 0 with weight 0 (zero padding).
      const inside = tf.logicalAnd(
        tf.logicalAnd(tf.greaterEqual(xi, 0), tf.lessEqual(xi, wi - 1)),
        tf.logicalAnd(tf.greaterEqual(yi, 0), tf.lessEqual(yi, hi - 1)),
      );
      weights.push(tf.mul(tf.mul(wx, wy), tf.cast(inside, 'float32')));
      const xc = tf.cast(tf.clipByValue(xi, 0, wi - 1), 'int32');
      const yc = tf.cast(tf.clipByValue(yi, 0, hi - 1), 'int32');
      indices.push(tf.add(base, tf.add(tf.mul(yc, tf.scalar(wi, 'int32')), xc)));
    }
    const flat = tf.reshape(image, [n * hi * wi, c]);
    const gathered = tf.gather(flat, tf.reshape(tf.stack(indices), [-1])).reshape([4, n, outHeight, outWidth, c]);
    const w = tf.expandDims(tf.stack(weights), 4);
    return tf.sum(tf.mul(gathered, w), 0) as Tensor4D;
  });
}
