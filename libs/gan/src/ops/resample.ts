/**
 * FIR resampling (upfirdn2d) with the [1,3,3,1] low-pass filter, as StyleGAN2 uses it. Layout NHWC.
 *
 * The 2-D filter is the outer product of the taps, normalised to sum 1 (× `gain`). It is symmetric,
 * so convolution and correlation coincide. Implemented with single native ops:
 * - `filter2d(x, pad)`: zero-pad by `pad`, filter (depthwise conv);
 * - `upsample2d(x)`: zero-insert ×2, pad [2,1], filter with gain 4 — one transposed conv with the
 *   filter on the channel diagonal, 'same' padding (which crops exactly the reference's window);
 * - `downsample2d(x)`: pad [1,1], filter, keep every second sample — one strided depthwise conv
 *   ('same' padding, which is [1,1] here).
 */
import type { Tensor4D, Tf } from '../tf-types.ts';

/** The StyleGAN2 resampling filter taps. */
export const RESAMPLE_TAPS: readonly number[] = [1, 3, 3, 1];

/** The normalised 2-D filter [k, k] for `taps`, times `gain`. */
export function fir2d(taps: readonly number[], gain = 1): Float32Array {
  const k = taps.length;
  const sum = taps.reduce((a, b) => a + b, 0);
  const f = new Float32Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) f[i * k + j] = (taps[i]! * taps[j]! * gain) / (sum * sum);
  return f;
}

const cache = new WeakMap<object, Map<string, Tensor4D>>();

function cached(tf: Tf, key: string, make: () => Tensor4D): Tensor4D {
  let m = cache.get(tf);
  if (!m) cache.set(tf, (m = new Map()));
  let t = m.get(key);
  if (!t || t.isDisposed) {
    t = tf.keep(make());
    m.set(key, t);
  }
  return t;
}

/** Depthwise filter [k, k, C, 1]: the FIR on every channel. */
function depthwiseFilter(tf: Tf, channels: number, gain: number): Tensor4D {
  return cached(tf, `dw:${channels}:${gain}`, () => {
    const f = fir2d(RESAMPLE_TAPS, gain);
    const k = RESAMPLE_TAPS.length;
    const data = new Float32Array(k * k * channels);
    for (let p = 0; p < k * k; p++) for (let c = 0; c < channels; c++) data[p * channels + c] = f[p]!;
    return tf.tensor4d(data, [k, k, channels, 1]);
  });
}

/** Diagonal filter [k, k, C, C] for a transposed conv that resamples each channel on its own. */
function diagonalFilter(tf: Tf, channels: number, gain: number): Tensor4D {
  return cached(tf, `diag:${channels}:${gain}`, () => {
    const f = fir2d(RESAMPLE_TAPS, gain);
    const k = RESAMPLE_TAPS.length;
    const data = new Float32Array(k * k * channels * channels);
    for (let p = 0; p < k * k; p++) for (let c = 0; c < channels; c++) data[(p * channels + c) * channels + c] = f[p]!;
    return tf.tensor4d(data, [k, k, channels, channels]);
  });
}

function assertNHWC(fn: string, x: Tensor4D): void {
  if (x.rank !== 4) throw new Error(`Error in ${fn}: x must be rank 4 [N,H,W,C], got shape [${x.shape}]`);
}

/** Zero-pad by `pad` on every side, then filter (upfirdn2d with up = down = 1). Output H + 2·pad − 3. */
export function filter2d(tf: Tf, x: Tensor4D, pad: number, gain = 1): Tensor4D {
  assertNHWC('filter2d', x);
  // The native backend takes only 'valid'/'same' for depthwise convs: pad explicitly.
  const padded = pad === 0 ? x : tf.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]]);
  return tf.depthwiseConv2d(padded, depthwiseFilter(tf, x.shape[3], gain), 1, 'valid');
}

/** ×2 upsampling as `upfirdn2d.upsample2d` (gain 4): [N,H,W,C] → [N,2H,2W,C]. */
export function upsample2d(tf: Tf, x: Tensor4D): Tensor4D {
  assertNHWC('upsample2d', x);
  const [n, h, w, c] = x.shape;
  if (c <= 8) return tf.conv2dTranspose(x, diagonalFilter(tf, c, 4), [n, 2 * h, 2 * w, c], 2, 'same');
  // Many channels: zero-insert by reshape + pad, then the depthwise filter.
  const z = tf.pad(tf.reshape(x, [n, h, 1, w, 1, c]), [[0, 0], [0, 0], [0, 1], [0, 0], [0, 1], [0, 0]]);
  const u = tf.pad(tf.reshape(z, [n, 2 * h, 2 * w, c]), [[0, 0], [2, 1], [2, 1], [0, 0]]);
  return tf.depthwiseConv2d(u as Tensor4D, depthwiseFilter(tf, c, 4), 1, 'valid');
}

/** ×2 downsampling as `upfirdn2d.downsample2d`: [N,H,W,C] → [N,H/2,W/2,C]. */
export function downsample2d(tf: Tf, x: Tensor4D): Tensor4D {
  assertNHWC('downsample2d', x);
  if (x.shape[1] % 2 !== 0 || x.shape[2] % 2 !== 0) throw new Error(`Error in downsample2d: H and W must be even, got [${x.shape}]`);
  // 'same' at stride 2 with a 4-tap filter pads [1, 1] on even sizes: exactly the reference window.
  return tf.depthwiseConv2d(x, depthwiseFilter(tf, x.shape[3], 1), 2, 'same');
}
