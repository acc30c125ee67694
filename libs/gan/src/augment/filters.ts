/**
 * ×2 up- and downsampling with the sym6 wavelet low-pass filter, as the augment pipe's geometric
 * pass uses them (upfirdn2d semantics of NVlabs `torch_utils/ops/upfirdn2d.py`).
 *
 * Layout NHWC. The separable filter runs as two 1-D passes, each a conv2d with a kernel on the
 * channel diagonal: conv2d has gradients of every order on the native and the wasm backends
 * (depthwise convolution's input gradient has none in tfjs, which R1 through the pipe needs).
 */
import type { Tensor4D } from '@tensorflow/tfjs-core';
import type { Tf } from '@dermagan/tf';

/** sym6 low-pass decomposition filter (12 taps). */
export const SYM6 = [
  0.015404109327027373, 0.0034907120842174702, -0.11799011114819057, -0.048311742585633, 0.4910559419267466,
  0.787641141030194, 0.3379294217276218, -0.07263752278646252, -0.021060292512300564, 0.04472490177066578,
  0.0017677118642428036, -0.007800708325034148,
] as const;

/** sym6 normalised to unit DC gain (the reference's `setup_filter`). */
export const SYM6_NORMALISED: readonly number[] = SYM6.map((v) => v / SYM6.reduce((a, b) => a + b, 0));

/** Padding the filter needs around the image, in input pixels (taps / 4). */
export const FILTER_PAD = SYM6.length / 4;

/** A diagonal conv kernel [kh, kw, C, C] holding `taps` along the given axis. */
function diagonalKernel(tf: Tf, taps: readonly number[], channels: number, axis: 'h' | 'w'): Tensor4D {
  const k = taps.length;
  const data = new Float32Array(k * channels * channels);
  for (let t = 0; t < k; t++) for (let c = 0; c < channels; c++) data[t * channels * channels + c * channels + c] = taps[t]!;
  return tf.tensor4d(data, axis === 'w' ? [1, k, channels, channels] : [k, 1, channels, channels]);
}

/**
 * ×2 upsampling: zero insertion, then true convolution with sym6 × 2 per axis, aligned as the
 * reference's `upsample2d` (pad [6, 5]): [N, H, W, C] → [N, 2H, 2W, C].
 *
 * Polyphase form: output sample 2m + r only meets the taps of parity r, so each axis is one
 * 'same' conv2d with a 7-tap kernel that produces both phases as channel blocks [r·C + c],
 * interleaved by a reshape. From o[k] = Σ_i x[i]·f[k + 5 − 2i] (k the output index):
 * o[2m] = Σ_d x[m + d]·f[5 − 2d] (d = −3…2), o[2m + 1] = Σ_d x[m + d]·f[6 − 2d] (d = −2…3).
 */
export function upsample2x(tf: Tf, x: Tensor4D): Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const taps = SYM6_NORMALISED.map((v) => v * 2);
    const tap = (i: number): number => (i >= 0 && i < taps.length ? taps[i]! : 0);
    // kernel[d + 3][c][r·C + c] for d = −3…3
    const kernel = (axis: 'h' | 'w'): Tensor4D => {
      const data = new Float32Array(7 * c * 2 * c);
      for (let d = -3; d <= 3; d++) {
        for (let ch = 0; ch < c; ch++) {
          data[(d + 3) * c * 2 * c + ch * 2 * c + ch] = tap(5 - 2 * d);
          data[(d + 3) * c * 2 * c + ch * 2 * c + c + ch] = tap(6 - 2 * d);
        }
      }
      return tf.tensor4d(data, axis === 'w' ? [1, 7, c, 2 * c] : [7, 1, c, 2 * c]);
    };
    // Along W: [N, H, W, 2C] → [N, H, W, 2, C] → [N, H, 2W, C].
    const alongW = tf.reshape(tf.conv2d(x, kernel('w'), 1, 'same'), [n, h, 2 * w, c]) as Tensor4D;
    // Along H: [N, H, 2W, 2C] → [N, H, 2W, 2, C] → [N, H, 2, 2W, C] → [N, 2H, 2W, C].
    const alongH = tf.conv2d(alongW, kernel('h'), 1, 'same');
    return tf.reshape(tf.transpose(tf.reshape(alongH, [n, h, 2 * w, 2, c]), [0, 1, 3, 2, 4]), [n, 2 * h, 2 * w, c]);
  });
}

/**
 * ×2 downsampling: correlation with sym6 (the reference's `downsample2d(flip_filter=True)`),
 * after cropping `crop` pixels from every side: [N, H, W, C] → [N, ⌈(H − 2·crop − 11)/2⌉, …, C].
 */
export function downsample2x(tf: Tf, x: Tensor4D, crop: number): Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    let y = crop > 0 ? tf.slice(x, [0, crop, crop, 0], [n, h - 2 * crop, w - 2 * crop, c]) : x;
    y = tf.conv2d(y, diagonalKernel(tf, SYM6_NORMALISED, c, 'w'), [1, 2], 'valid');
    return tf.conv2d(y, diagonalKernel(tf, SYM6_NORMALISED, c, 'h'), [2, 1], 'valid');
  });
}
