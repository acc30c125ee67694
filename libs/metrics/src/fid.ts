/**
 * Fréchet distance between two Gaussians fitted to feature sets (Heusel et al., "GANs trained by a
 * two time-scale update rule converge to a local Nash equilibrium", NeurIPS 2017, arXiv:1706.08500;
 * the reference is TTUR's `calculate_frechet_distance`, which NVlabs' `fid50k_full` repeats):
 *
 *   d² = ‖μ₁ − μ₂‖² + Tr Σ₁ + Tr Σ₂ − 2 Tr (Σ₁ Σ₂)^{1/2}.
 *
 * Steps: features → statistics (statistics.ts, streaming) → distance (here).
 * The trace term needs no complex matrix square root: Σ₁ Σ₂ is similar to the symmetric PSD
 * matrix Lᵀ Σ₂ L where Σ₁ = L Lᵀ, so Tr (Σ₁ Σ₂)^{1/2} = Σᵢ √λᵢ(Lᵀ Σ₂ L). L comes from a pivoted
 * Cholesky (rank-revealing, so singular Σ₁ with n ≤ d is fine), λ from a symmetric eigensolver.
 * Eigenvalues below zero are rounding noise and count as 0 (scipy's sqrtm gives them an imaginary
 * root that the reference drops with `.real`).
 *
 * The key is `fid` only for Inception-v3 pool3 features; see keys.ts `frechetKey`.
 */
import type { FeatureMatrix } from './features-matrix.ts';
import { checkFeatures, checkSameWidth, MetricInputError } from './features-matrix.ts';
import { pivotedCholesky } from './linalg/pivoted-cholesky.ts';
import { congruence } from './linalg/products.ts';
import { symmetricEigen } from './linalg/symmetric-eigen.ts';
import { featureStatistics, type FeatureStatistics, type MomentOptions } from './statistics.ts';

/** The parts of the Fréchet distance, for reports and debugging. */
export interface FrechetResult {
  /** The distance d² (what papers call FID). */
  value: number;
  /** ‖μ₁ − μ₂‖². */
  meanTerm: number;
  /** Tr Σ₁ + Tr Σ₂. */
  traceTerm: number;
  /** Tr (Σ₁ Σ₂)^{1/2}. */
  traceSqrt: number;
  /** Numerical rank of Σ₁ found by the pivoted Cholesky. */
  rank: number;
}

/** How the trace of the square root is computed. */
export type TraceSqrtMethod = 'cholesky' | 'eigh';

/**
 * Tr (Σ₁ Σ₂)^{1/2} for symmetric PSD d×d matrices (row-major, both triangles filled).
 * `cholesky` (default): eigenvalues of Lᵀ Σ₂ L with Σ₁ = L Lᵀ; `eigh`: A = Σ₁^{1/2} from Σ₁'s
 * eigendecomposition, then the eigenvalues of A Σ₂ A (3× slower; kept as a cross-check).
 */
export function traceSqrtProduct(sigma1: Float64Array, sigma2: Float64Array, d: number, method: TraceSqrtMethod = 'cholesky'): { value: number; rank: number } {
  if (sigma1.length !== d * d || sigma2.length !== d * d) {
    throw new MetricInputError(`traceSqrtProduct: expected two ${d}×${d} matrices, got ${sigma1.length} and ${sigma2.length} values`);
  }
  let m: Float64Array;
  let r: number;
  if (method === 'cholesky') {
    const factor = pivotedCholesky(sigma1, d);
    r = factor.rank;
    if (r === 0) return { value: 0, rank: 0 };
    m = congruence(sigma2, factor);
  } else {
    const { values, vectors } = symmetricEigen(sigma1, d, { vectors: true });
    // A = V diag(√λ₊) Vᵀ
    const a = new Float64Array(d * d);
    for (let k = 0; k < d; k++) {
      const s = Math.sqrt(Math.max(values[k]!, 0));
      if (s === 0) continue;
      for (let i = 0; i < d; i++) {
        const vik = vectors![i * d + k]! * s;
        for (let j = 0; j < d; j++) a[i * d + j]! += vik * vectors![j * d + k]!;
      }
    }
    const t = new Float64Array(d * d);
    for (let i = 0; i < d; i++) for (let k = 0; k < d; k++) {
      const aik = a[i * d + k]!;
      for (let j = 0; j < d; j++) t[i * d + j]! += aik * sigma2[k * d + j]!;
    }
    m = new Float64Array(d * d);
    for (let i = 0; i < d; i++) for (let k = 0; k < d; k++) {
      const tik = t[i * d + k]!;
      for (let j = 0; j < d; j++) m[i * d + j]! += tik * a[k * d + j]!;
    }
    r = values.filter((v) => v > 0).length;
  }
  const n = Math.round(Math.sqrt(m.length));
  const { values } = symmetricEigen(m, n, { inPlace: true });
  let sum = 0;
  for (const v of values) if (v > 0) sum += Math.sqrt(v);
  return { value: sum, rank: r };
}

/** Fréchet distance between two sets of statistics. */
export function frechetDistance(s1: FeatureStatistics, s2: FeatureStatistics, method: TraceSqrtMethod = 'cholesky'): FrechetResult {
  if (s1.d !== s2.d) throw new MetricInputError(`frechetDistance: statistics are ${s1.d}-d and ${s2.d}-d; both must come from the same extractor`);
  const d = s1.d;
  let meanTerm = 0;
  for (let i = 0; i < d; i++) {
    const diff = s1.mu[i]! - s2.mu[i]!;
    meanTerm += diff * diff;
  }
  let traceTerm = 0;
  for (let i = 0; i < d; i++) traceTerm += s1.sigma[i * d + i]! + s2.sigma[i * d + i]!;
  const { value: traceSqrt, rank } = traceSqrtProduct(s1.sigma, s2.sigma, d, method);
  return { value: meanTerm + traceTerm - 2 * traceSqrt, meanTerm, traceTerm, traceSqrt, rank };
}

/** Features → statistics → distance, for two in-memory matrices. */
export function frechetDistanceOfFeatures(real: FeatureMatrix, fake: FeatureMatrix, options: MomentOptions = {}): FrechetResult {
  checkFeatures('frechetDistance: real', real, 2);
  checkFeatures('frechetDistance: fake', fake, 2);
  checkSameWidth('frechetDistance', real, fake);
  return frechetDistance(featureStatistics(real, options), featureStatistics(fake, options));
}
