/**
 * Perceptual path length (Karras et al., "A Style-Based Generator Architecture for GANs", CVPR
 * 2019, arXiv:1812.04948), as NVlabs' `perceptual_path_length.py` computes `ppl2_wend`:
 *
 * per sample: two latents mapped to w₀, w₁ (same label); t = 0 ('end') or t ~ U[0, 1) ('full');
 * the two end-points lerp(w₀, w₁, t) and lerp(w₀, w₁, t + ε); images in [−1, 1] scaled to
 * [0, 255] (optionally cropped to the central face region); score = ‖f(img₀) − f(img₁)‖² / ε²
 * where f is the LPIPS feature function (its flat vector's squared difference is the LPIPS
 * distance). The scores between the 1st percentile ('lower') and the 99th ('higher') are kept and
 * averaged.
 *
 * The generator and feature network are inputs (the GAN engine and an LPIPS/VGG extractor supply
 * them); this file is the sampling and the statistics.
 */
import { DERMAGAN_VERSION } from '@dermagan/contracts';
import { DEFAULTS } from './defaults.ts';
import { MetricInputError } from './features-matrix.ts';
import { createRng, type Rng } from './random.ts';

/** Images as the generator returns them: NHWC float in [−1, 1]. */
export interface ImageBatch {
  /** Row-major [n, height, width, channels]. */
  data: Float32Array;
  /** [n, height, width, channels]. */
  shape: [number, number, number, number];
}

/** What PPL needs from a generator (libs/gan satisfies it). */
export interface PathGenerator {
  /** Width of w. */
  readonly wDim: number;
  /** `n` w vectors from random z (and labels, for a conditional generator) drawn with `rng`; [n, wDim] row-major. */
  sampleW(n: number, rng: Rng): Float32Array | Promise<Float32Array>;
  /** Images for [n, wDim] w vectors (noise as the generator's PPL mode wants it). */
  synthesize(ws: Float32Array, n: number): ImageBatch | Promise<ImageBatch>;
}

/** Images (in [0, 255]) → one feature row per image; [n, f] row-major. */
export type PathFeatures = (images: ImageBatch) => Float32Array | Float64Array | Promise<Float32Array | Float64Array>;

/**
 * The distance measured directly, when features are too large to bring back (LPIPS-VGG16:
 * networks/lpips.ts): images (in [0, 255], rows 2i and 2i+1 the end-points of sample i) → one
 * distance per sample (what ‖f(img₂ᵢ) − f(img₂ᵢ₊₁)‖² would be).
 */
export interface PathDistance {
  pairDistances(images: ImageBatch): Float64Array | Float32Array | Promise<Float64Array | Float32Array>;
}

/** Options for {@link perceptualPathLength}. */
export interface PplOptions {
  /** Number of path samples (default 50 000). */
  samples?: number;
  /** Path step ε (default 1e-4). */
  epsilon?: number;
  /** 'end' (t = 0) or 'full' (t ~ U[0, 1)) (default 'end'). */
  sampling?: 'end' | 'full';
  /** Crop to rows [3H/8, 7H/8) and columns [2W/8, 6W/8) before the features (default false). */
  crop?: boolean;
  /** Samples per generator call (default 16). */
  batch?: number;
  /** Seed of the end-point sampler (default 0). */
  seed?: number;
}

export interface PplResult {
  /** Mean of the kept scores. */
  value: number;
  /** Every per-sample score, in sampling order. */
  scores: Float64Array;
  /** The kept range [lo, hi]. */
  lo: number;
  hi: number;
  samples: number;
  epsilon: number;
  sampling: 'end' | 'full';
  crop: boolean;
  seed: number;
  /** The dermagan version that computed it. */
  dermaganVersion: string;
}

/** numpy.percentile(values, q, method='lower' | 'higher'). */
export function percentileDiscrete(values: ArrayLike<number>, q: number, method: 'lower' | 'higher'): number {
  const sorted = Float64Array.from(values).sort();
  const h = (q / 100) * (sorted.length - 1); // numpy: quantile × (n − 1)
  return sorted[method === 'lower' ? Math.floor(h) : Math.ceil(h)]!;
}

/** The PPL statistic of raw scores: mean of those within [P1 lower, P99 higher]. */
export function filteredMean(scores: ArrayLike<number>): { value: number; lo: number; hi: number } {
  const lo = percentileDiscrete(scores, 1, 'lower');
  const hi = percentileDiscrete(scores, 99, 'higher');
  let sum = 0;
  let count = 0;
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i]!;
    if (v >= lo && v <= hi) {
      sum += v;
      count++;
    }
  }
  return { value: sum / count, lo, hi };
}

/** Scale [−1, 1] → [0, 255] and optionally crop, as NVlabs does before LPIPS. */
export function prepareForFeatures(images: ImageBatch, crop: boolean): ImageBatch {
  const [n, h, w, ch] = images.shape;
  const r0 = crop ? Math.floor((h * 3) / 8) : 0;
  const r1 = crop ? Math.floor((h * 7) / 8) : h;
  const c0 = crop ? Math.floor((w * 2) / 8) : 0;
  const c1 = crop ? Math.floor((w * 6) / 8) : w;
  const oh = r1 - r0;
  const ow = c1 - c0;
  const out = new Float32Array(n * oh * ow * ch);
  let o = 0;
  for (let b = 0; b < n; b++)
    for (let y = r0; y < r1; y++)
      for (let x = c0; x < c1; x++)
        for (let c = 0; c < ch; c++) out[o++] = (images.data[((b * h + y) * w + x) * ch + c]! + 1) * (255 / 2);
  return { data: out, shape: [n, oh, ow, ch] };
}

export async function perceptualPathLength(generator: PathGenerator, measure: PathFeatures | PathDistance, options: PplOptions = {}): Promise<PplResult> {
  const samples = options.samples ?? DEFAULTS.pplSamples;
  const epsilon = options.epsilon ?? DEFAULTS.pplEpsilon;
  const sampling = options.sampling ?? DEFAULTS.pplSampling;
  const crop = options.crop ?? DEFAULTS.pplCrop;
  const batch = options.batch ?? DEFAULTS.pplBatch;
  const seed = options.seed ?? DEFAULTS.pplSeed;
  if (!Number.isInteger(samples) || samples < 1) throw new MetricInputError(`perceptualPathLength: samples must be a positive integer, got ${samples}`);
  if (!(epsilon > 0)) throw new MetricInputError(`perceptualPathLength: epsilon must be > 0, got ${epsilon}`);
  const rng = createRng(seed);
  const wd = generator.wDim;
  const scores = new Float64Array(samples);
  for (let start = 0; start < samples; start += batch) {
    const n = Math.min(batch, samples - start);
    const w0 = await generator.sampleW(n, rng);
    const w1 = await generator.sampleW(n, rng);
    if (w0.length !== n * wd || w1.length !== n * wd) {
      throw new MetricInputError(`perceptualPathLength: sampleW(${n}) returned ${w0.length} and ${w1.length} values, expected ${n * wd}`);
    }
    // Rows 2i and 2i+1 are the two end-points of sample i.
    const ws = new Float32Array(2 * n * wd);
    for (let i = 0; i < n; i++) {
      const t = sampling === 'full' ? rng.next() : 0;
      for (let c = 0; c < wd; c++) {
        const a = w0[i * wd + c]!;
        const diff = w1[i * wd + c]! - a;
        ws[2 * i * wd + c] = a + diff * t;
        ws[(2 * i + 1) * wd + c] = a + diff * (t + epsilon);
      }
    }
    const images = prepareForFeatures(await generator.synthesize(ws, 2 * n), crop);
    if (typeof measure !== 'function') {
      const d = await measure.pairDistances(images);
      if (d.length !== n) throw new MetricInputError(`perceptualPathLength: pairDistances returned ${d.length} values for ${n} samples`);
      for (let i = 0; i < n; i++) scores[start + i] = d[i]! / (epsilon * epsilon);
      continue;
    }
    const f = await measure(images);
    const fd = f.length / (2 * n);
    if (!Number.isInteger(fd) || fd < 1) throw new MetricInputError(`perceptualPathLength: features returned ${f.length} values for ${2 * n} images`);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let c = 0; c < fd; c++) {
        const diff = f[(2 * i + 1) * fd + c]! - f[2 * i * fd + c]!;
        s += diff * diff;
      }
      scores[start + i] = s / (epsilon * epsilon);
    }
  }
  const { value, lo, hi } = filteredMean(scores);
  return { value, scores, lo, hi, samples, epsilon, sampling, crop, seed, dermaganVersion: DERMAGAN_VERSION };
}
