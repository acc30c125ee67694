/**
 * Image resizing before a feature network, as a named mode (clean-fid `build_resizer(mode)`:
 * Parmar et al., "On Aliased Resizing and Surprising Subtleties in GAN Evaluation", CVPR 2022,
 * arXiv:2104.11222, showed FID moves by several points between these):
 * - `pil-bicubic`: PIL's separable bicubic (a = −0.5) with antialiasing — the kernel is widened by
 *   the downscale factor — on float pixels, no quantisation (clean-fid's `clean` mode);
 * - `tf-bilinear`: TF1 `resize_bilinear(align_corners=False)`, no half-pixel centres and no
 *   antialiasing (what TTUR's and the 2015 Inception graph's `ResizeBilinear` did: clean-fid's
 *   `legacy_tensorflow`);
 * - `torch-bilinear`: torch `F.interpolate(mode='bilinear', align_corners=False)`: half-pixel
 *   centres (source = (o + ½)·in/out − ½, clamped at 0), two taps, no antialiasing (NVlabs
 *   stylegan2-ada-pytorch's metrics: the `sg2ada` preprocessing);
 * - `none`: the images must already have the network's size.
 * Output: float32 NHWC in [0, 255].
 */
import { MetricInputError } from './features-matrix.ts';

export const RESIZE_MODES = ['pil-bicubic', 'tf-bilinear', 'torch-bilinear', 'none'] as const;
export type ResizeMode = (typeof RESIZE_MODES)[number];

interface Taps {
  /** First input index per output index. */
  start: Int32Array;
  /** Number of taps per output index. */
  count: Int32Array;
  /** Weights, `maxTaps` per output index. */
  weights: Float64Array;
  maxTaps: number;
}

function cubic(x: number): number {
  const a = -0.5;
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

/** Antialiased bicubic taps (PIL's ImagingResample coefficients). */
function bicubicTaps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 2 * filterScale;
  const maxTaps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * maxTaps);
  for (let o = 0; o < outSize; o++) {
    const centre = (o + 0.5) * scale;
    const lo = Math.max(Math.trunc(centre - support + 0.5), 0);
    const hi = Math.min(Math.trunc(centre + support + 0.5), inSize);
    let total = 0;
    for (let x = lo; x < hi; x++) {
      const w = cubic((x - centre + 0.5) / filterScale);
      weights[o * maxTaps + x - lo] = w;
      total += w;
    }
    if (total !== 0) for (let x = lo; x < hi; x++) weights[o * maxTaps + x - lo]! /= total;
    start[o] = lo;
    count[o] = hi - lo;
  }
  return { start, count, weights, maxTaps };
}

/**
 * Bilinear taps, two neighbours, clamped at the edges. TF1: source = o · scale (no half-pixel
 * offset); torch (align_corners=False): source = max((o + ½) · scale − ½, 0).
 */
function bilinearTaps(inSize: number, outSize: number, halfPixel: boolean): Taps {
  const scale = inSize / outSize;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * 2);
  for (let o = 0; o < outSize; o++) {
    const src = halfPixel ? Math.max((o + 0.5) * scale - 0.5, 0) : o * scale;
    const lo = Math.floor(src);
    const hi = Math.min(lo + 1, inSize - 1);
    const f = src - lo;
    start[o] = lo;
    if (hi === lo) {
      count[o] = 1;
      weights[o * 2] = 1;
    } else {
      count[o] = 2;
      weights[o * 2] = 1 - f;
      weights[o * 2 + 1] = f;
    }
  }
  return { start, count, weights, maxTaps: 2 };
}

/**
 * Resize uint8 NHWC images [n, h, w, c] to [n, size, size, c] float32 in [0, 255].
 * Separable: rows first (horizontal), then columns, in float64.
 */
export function resizeImages(pixels: Uint8Array, shape: readonly [number, number, number, number], size: number, mode: ResizeMode): Float32Array {
  const [n, h, w, c] = shape;
  if (pixels.length !== n * h * w * c) throw new MetricInputError(`resizeImages: shape [${shape}] needs ${n * h * w * c} bytes, got ${pixels.length}`);
  if (mode === 'none') {
    if (h !== size || w !== size) throw new MetricInputError(`resizeImages: resize mode 'none' needs ${size}×${size} images, got ${h}×${w}`);
    return Float32Array.from(pixels);
  }
  if (h === size && w === size) return Float32Array.from(pixels);
  const taps =
    mode === 'pil-bicubic'
      ? [bicubicTaps(w, size), bicubicTaps(h, size)]
      : [bilinearTaps(w, size, mode === 'torch-bilinear'), bilinearTaps(h, size, mode === 'torch-bilinear')];
  const [tx, ty] = taps as [Taps, Taps];
  const out = new Float32Array(n * size * size * c);
  const tmp = new Float64Array(h * size * c);
  for (let b = 0; b < n; b++) {
    const base = b * h * w * c;
    for (let y = 0; y < h; y++) {
      for (let ox = 0; ox < size; ox++) {
        const s = tx.start[ox]!;
        const k = tx.count[ox]!;
        for (let ch = 0; ch < c; ch++) {
          let acc = 0;
          for (let t = 0; t < k; t++) acc += tx.weights[ox * tx.maxTaps + t]! * pixels[base + (y * w + s + t) * c + ch]!;
          tmp[(y * size + ox) * c + ch] = acc;
        }
      }
    }
    const ob = b * size * size * c;
    for (let oy = 0; oy < size; oy++) {
      const s = ty.start[oy]!;
      const k = ty.count[oy]!;
      for (let ox = 0; ox < size; ox++) {
        for (let ch = 0; ch < c; ch++) {
          let acc = 0;
          for (let t = 0; t < k; t++) acc += ty.weights[oy * ty.maxTaps + t]! * tmp[((s + t) * size + ox) * c + ch]!;
          out[ob + (oy * size + ox) * c + ch] = Math.min(255, Math.max(0, acc));
        }
      }
    }
  }
  return out;
}
