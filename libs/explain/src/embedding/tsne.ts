/**
 * Barnes–Hut t-SNE (van der Maaten & Hinton 2008; van der Maaten 2014) in 2-D or 3-D, seeded.
 * Steps as the reference implementation (bhtsne) and scikit-learn's defaults:
 *   1. optional PCA to `pcaDims` (bhtsne's initial_dims 50; also the initialisation: the first
 *      `dims` components scaled to std 1e-4, scikit-learn's init='pca');
 *   2. sparse input affinities over the ⌊3·perplexity⌋ nearest neighbours (affinities.ts);
 *   3. gradient descent with momentum and per-coordinate gains; early exaggeration for the first
 *      iterations; repulsion by the space-partitioning tree (space-tree.ts) with angle θ.
 * Deterministic for a seed (the seed only breaks ties in the initialisation when PCA cannot).
 */
import { Rng } from '@dermagan/gan';
import { check } from '../errors.ts';
import { conditionalP, nearestNeighbours, symmetrize, type SparseP } from './affinities.ts';
import { checkRows, type Rows } from './matrix.ts';
import { pca, pcaTransform } from './pca.ts';
import { SpaceTree } from './space-tree.ts';

export interface TsneOptions {
  /** Output dimensions: 2 or 3. */
  dims: 2 | 3;
  /** Effective number of neighbours (5–50; scikit-learn's default 30). */
  perplexity: number;
  /** Gradient steps in total (scikit-learn: 1000). */
  iterations: number;
  /** P multiplier during the first `exaggerationIterations` steps (12). */
  earlyExaggeration: number;
  exaggerationIterations: number;
  /** Step size; 'auto' = max(N / earlyExaggeration / 4, 50) (Belkina et al. 2019, scikit-learn's 'auto'). */
  learningRate: number | 'auto';
  /** Barnes–Hut angle: 0 = exact repulsion, 0.5 the usual trade-off. */
  theta: number;
  /** Reduce to this many principal components first (null = use the input as is). */
  pcaDims: number | null;
  /** Initialisation: 'pca' (deterministic) or 'random' (N(0, 1e-4²) from the seed). */
  init: 'pca' | 'random';
  seed: number;
  /** Called every 50 iterations with (iteration, KL divergence estimate or NaN). */
  onProgress?: (iteration: number, total: number) => void;
}

export const DEFAULT_TSNE: TsneOptions = {
  dims: 3,
  perplexity: 30,
  iterations: 1000,
  earlyExaggeration: 12,
  exaggerationIterations: 250,
  learningRate: 'auto',
  theta: 0.5,
  pcaDims: 50,
  init: 'pca',
  seed: 0,
};

export interface TsneResult {
  /** Row-major [rows, dims]. */
  coordinates: Float64Array;
  rows: number;
  dims: 2 | 3;
  /** The options used (for provenance). */
  options: Omit<TsneOptions, 'onProgress'>;
}

export function tsne(x: Rows, options: Partial<TsneOptions> = {}): TsneResult {
  const o = { ...DEFAULT_TSNE, ...options };
  checkRows(x, 'tsne', 2);
  const n = x.rows;
  check(o.dims === 2 || o.dims === 3, 'tsne', () => `dims must be 2 or 3, got ${o.dims}`);
  check(o.perplexity > 0, 'tsne', () => `perplexity must be > 0, got ${o.perplexity}`);
  check(n - 1 >= 3 * o.perplexity || n >= 4, 'tsne', () => `needs more than 3·perplexity = ${3 * o.perplexity} rows, got ${n}`);
  check(Number.isInteger(o.iterations) && o.iterations >= 1, 'tsne', () => `iterations must be a positive integer, got ${o.iterations}`);
  check(o.theta >= 0 && o.theta <= 1, 'tsne', () => `theta must be in [0, 1], got ${o.theta}`);
  const dims = o.dims;

  // 1. PCA reduction and initialisation.
  let input: Rows = x;
  if (o.pcaDims !== null && o.pcaDims < x.cols) {
    const k = Math.min(o.pcaDims, n, x.cols);
    input = pcaTransform(pca(x, k), x);
  }
  const y = new Float64Array(n * dims);
  if (o.init === 'pca') {
    const k = Math.min(dims, input.cols, n);
    const init = pcaTransform(pca(input, k), input);
    let sd = 0;
    for (let i = 0; i < n; i++) sd += init.data[i * k]! ** 2;
    sd = Math.sqrt(sd / n) || 1;
    const rng = new Rng(o.seed);
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < dims; a++) y[i * dims + a] = a < k ? (init.data[i * k + a]! / sd) * 1e-4 : rng.normal(1, 1e-4)[0]!;
    }
  } else {
    y.set(new Rng(o.seed).normal(n * dims, 1e-4));
  }

  // 2. Input affinities.
  const perplexity = Math.min(o.perplexity, (n - 1) / 3);
  const k = Math.min(n - 1, Math.floor(3 * perplexity));
  const nn = nearestNeighbours(input, k);
  const P = symmetrize(nn.index, conditionalP(nn.distance2, n, k, perplexity), n, k);

  // 3. Gradient descent.
  const lr = o.learningRate === 'auto' ? Math.max(n / o.earlyExaggeration / 4, 50) : o.learningRate;
  const update = new Float64Array(n * dims);
  const gains = new Float64Array(n * dims).fill(1);
  const grad = new Float64Array(n * dims);
  for (let it = 0; it < o.iterations; it++) {
    const exaggeration = it < o.exaggerationIterations ? o.earlyExaggeration : 1;
    const momentum = it < o.exaggerationIterations ? 0.5 : 0.8;
    gradient(P, y, n, dims, exaggeration, o.theta, grad);
    for (let t = 0; t < n * dims; t++) {
      const g = grad[t]!;
      gains[t] = Math.sign(g) !== Math.sign(update[t]!) ? gains[t]! + 0.2 : Math.max(gains[t]! * 0.8, 0.01);
      update[t] = momentum * update[t]! - lr * gains[t]! * g;
      y[t]! += update[t]!;
    }
    // Keep the map centred (bhtsne's zeroMean).
    for (let a = 0; a < dims; a++) {
      let m = 0;
      for (let i = 0; i < n; i++) m += y[i * dims + a]!;
      m /= n;
      for (let i = 0; i < n; i++) y[i * dims + a]! -= m;
    }
    if ((it + 1) % 50 === 0 || it + 1 === o.iterations) o.onProgress?.(it + 1, o.iterations);
  }
  const { onProgress: _p, ...used } = o;
  return { coordinates: y, rows: n, dims, options: { ...used, perplexity, learningRate: lr } };
}

/** ∂KL/∂y = 4·(exaggeration·Σ_j p_ij q_ij (y_i − y_j) − Σ_j q_ij² (y_i − y_j) / Z), q unnormalised. */
function gradient(P: SparseP, y: Float64Array, n: number, dims: 2 | 3, exaggeration: number, theta: number, grad: Float64Array): void {
  const tree = new SpaceTree(y, n, dims);
  const stack = new Int32Array(tree.stackSize() + 64);
  const force = new Float64Array(dims);
  const rep = new Float64Array(n * dims);
  let z = 0;
  for (let i = 0; i < n; i++) {
    z += tree.repulsion(i, theta, force, stack);
    for (let a = 0; a < dims; a++) rep[i * dims + a] = force[a]!;
  }
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < dims; a++) grad[i * dims + a] = 0;
    for (let t = P.rowStart[i]!; t < P.rowStart[i + 1]!; t++) {
      const j = P.cols[t]!;
      let d2 = 0;
      for (let a = 0; a < dims; a++) {
        const diff = y[i * dims + a]! - y[j * dims + a]!;
        d2 += diff * diff;
      }
      const pq = (exaggeration * P.values[t]!) / (1 + d2);
      for (let a = 0; a < dims; a++) grad[i * dims + a]! += pq * (y[i * dims + a]! - y[j * dims + a]!);
    }
    for (let a = 0; a < dims; a++) grad[i * dims + a] = 4 * (grad[i * dims + a]! - rep[i * dims + a]! / z);
  }
}
