/**
 * A separating hyperplane in W for a binary attribute (the paper's "hyperplane between feature
 * classes"; REFERENCE §1.2 fits a linear SVM on w for "black frame"): L2-regularised logistic
 * regression fitted by Newton's method (deterministic, no learning rate), on W centred and scaled
 * per dimension, mapped back so the normal is a unit vector in W itself. Stratified k-fold
 * cross-validated accuracy says how linearly separable the attribute is.
 */
import { check } from '../errors.ts';
import { checkRows, type Rows } from '../embedding/matrix.ts';

export interface HyperplaneOptions {
  /** Ridge strength λ on the standardised coefficients (1 = scikit-learn's C = 1 scaled by n). */
  l2: number;
  /** Newton iterations (converges in well under 20). */
  iterations: number;
  /** Folds of the cross-validated accuracy (0 = skip). */
  folds: number;
}

export const DEFAULT_HYPERPLANE: HyperplaneOptions = { l2: 1, iterations: 25, folds: 5 };

export interface Hyperplane {
  /** Unit normal in W, pointing to the positive side. */
  normal: Float64Array;
  /** Signed distance of a w = normal·w + offset. */
  offset: number;
  /** Training accuracy and stratified cross-validated accuracy (NaN when skipped). */
  trainAccuracy: number;
  cvAccuracy: number;
  positives: number;
  negatives: number;
}

/** Signed distance of each row to the hyperplane (positive side = attribute present). */
export function signedDistances(plane: Pick<Hyperplane, 'normal' | 'offset'>, w: Rows): Float64Array {
  const d = w.cols;
  check(plane.normal.length === d, 'signedDistances', () => `rows have ${d} columns, the hyperplane ${plane.normal.length}`);
  return Float64Array.from({ length: w.rows }, (_, i) => {
    let s = plane.offset;
    for (let j = 0; j < d; j++) s += plane.normal[j]! * w.data[i * d + j]!;
    return s;
  });
}

interface Fit {
  coef: Float64Array;
  bias: number;
}

/** Newton-fitted logistic regression on standardised features z (bias unpenalised). */
function fitLogistic(z: Float64Array, n: number, d: number, y: Uint8Array, l2: number, iterations: number): Fit {
  const p = d + 1; // last coordinate is the bias
  const beta = new Float64Array(p);
  const h = new Float64Array(p * p);
  const g = new Float64Array(p);
  const row = new Float64Array(p);
  for (let it = 0; it < iterations; it++) {
    h.fill(0);
    g.fill(0);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) row[j] = z[i * d + j]!;
      row[d] = 1;
      let s = 0;
      for (let j = 0; j < p; j++) s += row[j]! * beta[j]!;
      const mu = 1 / (1 + Math.exp(-s));
      const wgt = Math.max(mu * (1 - mu), 1e-10);
      const r = mu - y[i]!;
      for (let a = 0; a < p; a++) {
        g[a]! += r * row[a]!;
        const ra = wgt * row[a]!;
        for (let b = 0; b <= a; b++) h[a * p + b]! += ra * row[b]!;
      }
    }
    for (let j = 0; j < d; j++) {
      g[j]! += l2 * beta[j]!;
      h[j * p + j]! += l2;
    }
    h[d * p + d]! += 1e-8;
    const step = choleskySolve(h, g, p);
    let change = 0;
    for (let j = 0; j < p; j++) {
      beta[j]! -= step[j]!;
      change = Math.max(change, Math.abs(step[j]!));
    }
    if (change < 1e-8) break;
  }
  return { coef: beta.subarray(0, d), bias: beta[d]! };
}

/** Solve A x = b for symmetric positive definite A (lower triangle read), in float64. */
function choleskySolve(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      if (i === j) {
        check(s > 0, 'hyperplane', () => 'the Newton system is not positive definite (constant features with no regularisation?)');
        l[i * n + i] = Math.sqrt(s);
      } else {
        l[i * n + j] = s / l[j * n + j]!;
      }
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * n + k]! * y[k]!;
    y[i] = s / l[i * n + i]!;
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k * n + i]! * x[k]!;
    x[i] = s / l[i * n + i]!;
  }
  return x;
}

/** Standardise columns of selected rows; returns z and the mean / std used. */
function standardise(w: Rows, rows: number[]): { z: Float64Array; mean: Float64Array; std: Float64Array } {
  const d = w.cols;
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  for (const i of rows) for (let j = 0; j < d; j++) mean[j]! += w.data[i * d + j]!;
  for (let j = 0; j < d; j++) mean[j]! /= rows.length;
  for (const i of rows) for (let j = 0; j < d; j++) std[j]! += (w.data[i * d + j]! - mean[j]!) ** 2;
  for (let j = 0; j < d; j++) std[j] = Math.sqrt(std[j]! / rows.length) || 1;
  const z = new Float64Array(rows.length * d);
  rows.forEach((i, r) => {
    for (let j = 0; j < d; j++) z[r * d + j] = (w.data[i * d + j]! - mean[j]!) / std[j]!;
  });
  return { z, mean, std };
}

/** Fit on the given rows; returns the plane in raw W coordinates (unit normal). */
function fitPlane(w: Rows, labels: Uint8Array, rows: number[], o: HyperplaneOptions): { normal: Float64Array; offset: number } {
  const d = w.cols;
  const { z, mean, std } = standardise(w, rows);
  const y = Uint8Array.from(rows, (i) => labels[i]!);
  const { coef, bias } = fitLogistic(z, rows.length, d, y, o.l2, o.iterations);
  // s(w) = Σ coef_j (w_j − mean_j)/std_j + bias = a·w + c with a_j = coef_j/std_j.
  const a = Float64Array.from(coef, (v, j) => v / std[j]!);
  let c = bias;
  for (let j = 0; j < d; j++) c -= a[j]! * mean[j]!;
  const norm = Math.hypot(...a) || 1;
  return { normal: Float64Array.from(a, (v) => v / norm), offset: c / norm };
}

function accuracy(plane: { normal: Float64Array; offset: number }, w: Rows, labels: Uint8Array, rows: number[]): number {
  const d = w.cols;
  let right = 0;
  for (const i of rows) {
    let s = plane.offset;
    for (let j = 0; j < d; j++) s += plane.normal[j]! * w.data[i * d + j]!;
    right += (s > 0 ? 1 : 0) === labels[i] ? 1 : 0;
  }
  return right / rows.length;
}

/** Fit the hyperplane of a binary attribute (labels 0/1 per row of w). */
export function hyperplane(w: Rows, labels: Uint8Array, options: Partial<HyperplaneOptions> = {}): Hyperplane {
  const o = { ...DEFAULT_HYPERPLANE, ...options };
  checkRows(w, 'hyperplane', 2);
  check(labels.length === w.rows, 'hyperplane', () => `${labels.length} labels for ${w.rows} rows`);
  const positives = labels.reduce((s, v) => s + (v ? 1 : 0), 0);
  const negatives = w.rows - positives;
  check(positives > 0 && negatives > 0, 'hyperplane', () => `the attribute needs both classes; got ${positives} with and ${negatives} without`);
  const all = Array.from({ length: w.rows }, (_, i) => i);
  const plane = fitPlane(w, labels, all, o);
  let cvAccuracy = Number.NaN;
  const folds = Math.min(o.folds, positives, negatives);
  if (folds >= 2) {
    // Stratified: each class's rows dealt round-robin into the folds.
    const fold = new Int32Array(w.rows);
    let pos = 0;
    let neg = 0;
    for (let i = 0; i < w.rows; i++) fold[i] = labels[i] ? pos++ % folds : neg++ % folds;
    let right = 0;
    for (let f = 0; f < folds; f++) {
      const train = all.filter((i) => fold[i] !== f);
      const test = all.filter((i) => fold[i] === f);
      right += accuracy(fitPlane(w, labels, train, o), w, labels, test) * test.length;
    }
    cvAccuracy = right / w.rows;
  }
  return { ...plane, trainAccuracy: accuracy(plane, w, labels, all), cvAccuracy, positives, negatives };
}

/**
 * Move each w across the hyperplane along −normal until its signed distance is −overshoot × its
 * starting distance (REFERENCE §1.2 steps until 3× the initial distance); rows already on the
 * negative side are left alone. Returns the edited rows.
 */
export function crossHyperplane(plane: Pick<Hyperplane, 'normal' | 'offset'>, w: Rows, overshoot = 3): Float32Array {
  const d = w.cols;
  const s = signedDistances(plane, w);
  const out = Float32Array.from(w.data);
  for (let i = 0; i < w.rows; i++) {
    if (s[i]! <= 0) continue;
    const move = s[i]! * (1 + overshoot);
    for (let j = 0; j < d; j++) out[i * d + j]! -= move * plane.normal[j]!;
  }
  return out;
}
