/**
 * Principal component analysis in float64: centre, covariance (or the Gram matrix when there are
 * fewer rows than columns), symmetric eigen-decomposition, components sorted by explained
 * variance, descending (explicitly: the eigen solver returns ascending order). Each component's
 * sign is fixed so that its largest-magnitude entry is positive (as scikit-learn's svd_flip), so
 * results do not depend on the solver's sign choice.
 */
import { symmetricEigen } from '@dermagan/metrics';
import { check } from '../errors.ts';
import { checkRows, type Rows } from './matrix.ts';

export interface Pca {
  /** Column means, length cols. */
  mean: Float64Array;
  /** Unit components, row-major [k, cols], by decreasing variance. */
  components: Float64Array;
  /** Variance along each component (divided by rows − 1). */
  variance: Float64Array;
  /** variance / total variance. */
  explainedRatio: Float64Array;
  k: number;
  cols: number;
}

export function pca(x: Rows, k: number): Pca {
  checkRows(x, 'pca', 2);
  const { rows: n, cols: d } = x;
  check(Number.isInteger(k) && k >= 1 && k <= Math.min(n, d), 'pca', () => `k must be an integer in [1, ${Math.min(n, d)}], got ${k}`);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += x.data[i * d + j]!;
  for (let j = 0; j < d; j++) mean[j]! /= n;
  const centred = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) centred[i * d + j] = x.data[i * d + j]! - mean[j]!;
  let total = 0;
  for (let i = 0; i < centred.length; i++) total += centred[i]! * centred[i]!;
  total /= n - 1;

  const components = new Float64Array(k * d);
  const variance = new Float64Array(k);
  if (n >= d) {
    // Covariance d×d (lower triangle is what the solver reads; fill both).
    const cov = new Float64Array(d * d);
    for (let i = 0; i < n; i++) {
      const row = i * d;
      for (let a = 0; a < d; a++) {
        const va = centred[row + a]!;
        if (va === 0) continue;
        const out = a * d;
        for (let b = 0; b <= a; b++) cov[out + b]! += va * centred[row + b]!;
      }
    }
    for (let a = 0; a < d; a++) for (let b = 0; b <= a; b++) cov[b * d + a] = cov[a * d + b]! /= n - 1;
    const { values, vectors } = symmetricEigen(cov, d, { vectors: true, inPlace: true });
    for (let c = 0; c < k; c++) {
      const col = d - 1 - c;
      variance[c] = Math.max(0, values[col]!);
      for (let j = 0; j < d; j++) components[c * d + j] = vectors![j * d + col]!;
    }
  } else {
    // Gram n×n: eigenvectors u give components Xᵀu / ‖Xᵀu‖.
    const gram = new Float64Array(n * n);
    for (let a = 0; a < n; a++) {
      for (let b = 0; b <= a; b++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += centred[a * d + j]! * centred[b * d + j]!;
        gram[a * n + b] = gram[b * n + a] = s / (n - 1);
      }
    }
    const { values, vectors } = symmetricEigen(gram, n, { vectors: true, inPlace: true });
    for (let c = 0; c < k; c++) {
      const col = n - 1 - c;
      variance[c] = Math.max(0, values[col]!);
      let norm = 0;
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += centred[i * d + j]! * vectors![i * n + col]!;
        components[c * d + j] = s;
        norm += s * s;
      }
      norm = Math.sqrt(norm) || 1;
      for (let j = 0; j < d; j++) components[c * d + j]! /= norm;
    }
  }
  for (let c = 0; c < k; c++) fixSign(components.subarray(c * d, (c + 1) * d));
  const explainedRatio = Float64Array.from(variance, (v) => (total > 0 ? v / total : 0));
  return { mean, components, variance, explainedRatio, k, cols: d };
}

/** Make the entry of largest magnitude positive (a deterministic sign for a direction). */
export function fixSign(v: Float64Array | Float32Array): void {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (Math.abs(v[i]!) > Math.abs(v[best]!)) best = i;
  if (v[best]! < 0) for (let i = 0; i < v.length; i++) v[i] = -v[i]!;
}

/** Rows projected on the first `k` components: [rows, k]. */
export function pcaTransform(model: Pca, x: Rows, k = model.k): Rows {
  check(x.cols === model.cols, 'pcaTransform', () => `rows have ${x.cols} columns, the PCA was fitted on ${model.cols}`);
  const d = model.cols;
  const out = new Float64Array(x.rows * k);
  for (let i = 0; i < x.rows; i++) {
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (x.data[i * d + j]! - model.mean[j]!) * model.components[c * d + j]!;
      out[i * k + c] = s;
    }
  }
  return { data: out, rows: x.rows, cols: k };
}
