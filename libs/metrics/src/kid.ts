/**
 * Kernel Inception Distance (Bińkowski et al., "Demystifying MMD GANs", ICLR 2018,
 * arXiv:1801.01401), computed as NVlabs' `kernel_inception_distance.py` does: the unbiased MMD²
 * with the cubic polynomial kernel k(x, y) = (x·y / d + 1)³, averaged over random subsets of
 * m = min(n_real, n_fake, subsetSize) rows drawn without replacement from each set:
 *
 *   t_s = (Σ K_xx + Σ K_yy − diagonals) / (m − 1) − 2 Σ K_xy / m,    MMD²_s = t_s / m.
 *
 * KID is the mean of MMD²_s over subsets; the std is their population std (torch-fidelity).
 * When both sets have exactly m rows, every subset is the whole set: one subset is computed and
 * the value is deterministic (std 0).
 */
import type { Compute } from './compute.ts';
import { FLOAT64 } from './compute.ts';
import { DEFAULTS } from './defaults.ts';
import { checkFeatures, checkSameWidth, gatherRows, MetricInputError, type FeatureMatrix } from './features-matrix.ts';
import { createRng, sampleWithoutReplacement } from './random.ts';

/** Options for {@link kernelInceptionDistance}. */
export interface KidOptions {
  /** Number of subsets (default 100). */
  subsets?: number;
  /** Maximum rows per subset (default 1000). */
  subsetSize?: number;
  /** Seed of the subset sampler (default 0). */
  seed?: number;
  /** Where the kernel products run (default float64). */
  compute?: Compute;
}

export interface KidResult {
  /** Mean MMD² over subsets. */
  value: number;
  /** Population std of MMD² over subsets. */
  std: number;
  /** Rows per subset actually used. */
  m: number;
  /** Subsets actually computed (1 when deterministic). */
  subsets: number;
  /** Seed used. */
  seed: number;
}

/** Sums of the cubic kernel over one subset pair: Σ_{i≠j} K_xx, Σ_{i≠j} K_yy, Σ K_xy. */
function kernelSums(x: FeatureMatrix, y: FeatureMatrix, compute: Compute): { xx: number; yy: number; xy: number } {
  const d = x.cols;
  if (compute.mode === 'tf') {
    const tf = compute.tf;
    if (!tf) throw new Error('kernelInceptionDistance: compute mode tf without a tfjs instance; use createCompute("tf")');
    // Kernel entries in float32 on the native backend; their sums in float64 here (MMD² is a small
    // difference of large sums, which float32 reductions would swamp).
    const kernels = tf.tidy(() => {
      const xt = tf.tensor2d(Float32Array.from(x.data), [x.rows, d]);
      const yt = tf.tensor2d(Float32Array.from(y.data), [y.rows, d]);
      const k = (a: typeof xt, b: typeof xt) => tf.pow(tf.add(tf.div(tf.matMul(a, b, false, true), d), 1), 3);
      return [k(xt, xt), k(yt, yt), k(xt, yt)];
    });
    const [kxx, kyy, kxy] = kernels.map((t) => {
      const v = t.dataSync();
      t.dispose();
      return v;
    }) as unknown as [ArrayLike<number>, ArrayLike<number>, ArrayLike<number>];
    const m = x.rows;
    let xx = 0;
    let yy = 0;
    let xy = 0;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        if (i !== j) {
          xx += kxx[i * m + j]!;
          yy += kyy[i * m + j]!;
        }
        xy += kxy[i * m + j]!;
      }
    }
    return { xx, yy, xy };
  }
  const xd = x.data;
  const yd = y.data;
  const m = x.rows;
  const kernel = (a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number): number => {
    let dot = 0;
    for (let c = 0; c < d; c++) dot += a[ao + c]! * b[bo + c]!;
    const v = dot / d + 1;
    return v * v * v;
  };
  let xx = 0;
  let yy = 0;
  let xy = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < i; j++) {
      xx += 2 * kernel(xd, i * d, xd, j * d);
      yy += 2 * kernel(yd, i * d, yd, j * d);
    }
    for (let j = 0; j < m; j++) xy += kernel(xd, i * d, yd, j * d);
  }
  return { xx, yy, xy };
}

/** The unbiased MMD² of two m-row sets (one KID subset). */
export function mmd2Unbiased(x: FeatureMatrix, y: FeatureMatrix, compute: Compute = FLOAT64): number {
  if (x.rows !== y.rows) throw new MetricInputError(`mmd2Unbiased: subsets must have equal size, got ${x.rows} and ${y.rows}`);
  const m = x.rows;
  const { xx, yy, xy } = kernelSums(x, y, compute);
  return ((xx + yy) / (m - 1) - (2 * xy) / m) / m;
}

/** KID of fake against real features. */
export function kernelInceptionDistance(real: FeatureMatrix, fake: FeatureMatrix, options: KidOptions = {}): KidResult {
  checkFeatures('kernelInceptionDistance: real', real, 2);
  checkFeatures('kernelInceptionDistance: fake', fake, 2);
  checkSameWidth('kernelInceptionDistance', real, fake);
  const subsets = options.subsets ?? DEFAULTS.kidSubsets;
  const subsetSize = options.subsetSize ?? DEFAULTS.kidSubsetSize;
  const seed = options.seed ?? DEFAULTS.kidSeed;
  const compute = options.compute ?? FLOAT64;
  if (!Number.isInteger(subsets) || subsets < 1) throw new MetricInputError(`kernelInceptionDistance: subsets must be a positive integer, got ${subsets}`);
  if (!Number.isInteger(subsetSize) || subsetSize < 2) throw new MetricInputError(`kernelInceptionDistance: subset size must be an integer ≥ 2, got ${subsetSize}`);
  const m = Math.min(real.rows, fake.rows, subsetSize);
  if (real.rows === m && fake.rows === m) {
    const value = mmd2Unbiased(fake, real, compute);
    return { value, std: 0, m, subsets: 1, seed };
  }
  const rng = createRng(seed);
  const values = new Float64Array(subsets);
  for (let s = 0; s < subsets; s++) {
    // NVlabs order: the fake subset is drawn first, then the real one.
    const x = gatherRows(fake, sampleWithoutReplacement(rng, fake.rows, m));
    const y = gatherRows(real, sampleWithoutReplacement(rng, real.rows, m));
    values[s] = mmd2Unbiased(x, y, compute);
  }
  let mean = 0;
  for (const v of values) mean += v;
  mean /= subsets;
  let variance = 0;
  for (const v of values) variance += (v - mean) * (v - mean);
  return { value: mean, std: Math.sqrt(variance / subsets), m, subsets, seed };
}
