/**
 * Streaming mean and covariance (N − 1) of feature rows: rows are buffered into blocks of B, each
 * block's own mean and centred co-moment Yᵀ Y are computed, and blocks are merged with the
 * pairwise update of Chan, Golub & LeVeque (1979):
 *   n = n_a + n_b,  δ = μ_b − μ_a,  μ = μ_a + δ n_b / n,  M = M_a + M_b + δ δᵀ n_a n_b / n.
 * Memory: O(d²) plus one block, whatever the number of rows; the input is read once.
 */
import type { Compute } from './compute.ts';
import { FLOAT64 } from './compute.ts';
import { DEFAULTS } from './defaults.ts';
import { MetricInputError, type FeatureMatrix } from './features-matrix.ts';
import { addGramLower, mirrorLower } from './linalg/products.ts';

/** Mean and covariance of a feature set (what FID needs, what stats files store). */
export interface FeatureStatistics {
  /** Mean, length d. */
  mu: Float64Array;
  /** Covariance with the N − 1 denominator, row-major d×d. */
  sigma: Float64Array;
  /** Number of rows summarised. */
  n: number;
  /** Feature width. */
  d: number;
}

/** Options for {@link MomentAccumulator}. */
export interface MomentOptions {
  /** Where Yᵀ Y runs (default float64). */
  compute?: Compute;
  /** Rows per block (default: DEFAULTS.momentBlockFloat64 or momentBlockTf by mode). */
  blockRows?: number;
}

export class MomentAccumulator {
  readonly d: number;
  private readonly compute: Compute;
  private readonly blockRows: number;
  private readonly block: Float64Array;
  private pending = 0;
  private n = 0;
  private readonly mu: Float64Array;
  private readonly m2: Float64Array;
  private readonly scratch: Float64Array;

  constructor(d: number, options: MomentOptions = {}) {
    if (!Number.isInteger(d) || d < 1) throw new MetricInputError(`MomentAccumulator: feature width must be a positive integer, got ${d}`);
    this.d = d;
    this.compute = options.compute ?? FLOAT64;
    this.blockRows = options.blockRows ?? (this.compute.mode === 'tf' ? DEFAULTS.momentBlockTf : DEFAULTS.momentBlockFloat64);
    this.block = new Float64Array(this.blockRows * d);
    this.mu = new Float64Array(d);
    this.m2 = new Float64Array(d * d);
    this.scratch = new Float64Array(this.blockRows * d);
  }

  /** Add rows (any batch size; values must be finite). */
  add(batch: FeatureMatrix): void {
    if (batch.cols !== this.d) throw new MetricInputError(`MomentAccumulator.add: expected ${this.d}-d rows, got ${batch.cols}-d`);
    const src = batch.data;
    for (let r = 0; r < batch.rows; r++) {
      const o = r * this.d;
      const dst = this.pending * this.d;
      for (let c = 0; c < this.d; c++) {
        const v = src[o + c]!;
        if (!Number.isFinite(v)) throw new MetricInputError(`MomentAccumulator.add: row ${this.n + this.pending} column ${c} is ${v} (features must be finite)`);
        this.block[dst + c] = v;
      }
      if (++this.pending === this.blockRows) this.flush();
    }
  }

  /** Rows seen so far. */
  get count(): number {
    return this.n + this.pending;
  }

  /** The statistics of every row added (needs at least 2 rows for the N − 1 covariance). */
  finish(): FeatureStatistics {
    this.flush();
    const { d, n } = this;
    if (n < 2) throw new MetricInputError(`MomentAccumulator.finish: the covariance needs at least 2 rows, got ${n}`);
    const sigma = new Float64Array(d * d);
    for (let i = 0; i < d; i++) for (let j = 0; j <= i; j++) sigma[i * d + j] = this.m2[i * d + j]! / (n - 1);
    mirrorLower(sigma, d);
    return { mu: Float64Array.from(this.mu), sigma, n, d };
  }

  private flush(): void {
    const b = this.pending;
    if (b === 0) return;
    const d = this.d;
    // Block mean and centred block.
    const mb = new Float64Array(d);
    for (let r = 0; r < b; r++) for (let c = 0; c < d; c++) mb[c]! += this.block[r * d + c]!;
    for (let c = 0; c < d; c++) mb[c]! /= b;
    if (this.compute.mode === 'float64') {
      // Column-major centred block (d × b) for contiguous dot products.
      const yt = this.scratch;
      for (let r = 0; r < b; r++) for (let c = 0; c < d; c++) yt[c * b + r] = this.block[r * d + c]! - mb[c]!;
      addGramLower(this.m2, yt, d, b);
    } else {
      this.addGramTf(mb, b);
    }
    // Merge (Chan et al.): δ = μ_b − μ_a.
    const na = this.n;
    const n = na + b;
    if (na > 0) {
      const f = (na * b) / n;
      const delta = new Float64Array(d);
      for (let c = 0; c < d; c++) delta[c] = mb[c]! - this.mu[c]!;
      for (let i = 0; i < d; i++) {
        const di = delta[i]! * f;
        const row = i * d;
        for (let j = 0; j <= i; j++) this.m2[row + j]! += di * delta[j]!;
      }
      for (let c = 0; c < d; c++) this.mu[c]! += (delta[c]! * b) / n;
    } else {
      this.mu.set(mb);
    }
    this.n = n;
    this.pending = 0;
  }

  private addGramTf(mb: Float64Array, b: number): void {
    const tf = this.compute.tf;
    if (!tf) throw new Error('MomentAccumulator: compute mode tf without a tfjs instance; use createCompute("tf")');
    const d = this.d;
    const y = new Float32Array(b * d);
    for (let r = 0; r < b; r++) for (let c = 0; c < d; c++) y[r * d + c] = this.block[r * d + c]! - mb[c]!;
    const gram = tf.tidy(() => {
      const t = tf.tensor2d(y, [b, d]);
      return tf.matMul(t, t, true, false);
    });
    const g = gram.dataSync();
    gram.dispose();
    for (let i = 0; i < d; i++) {
      const row = i * d;
      for (let j = 0; j <= i; j++) this.m2[row + j]! += g[row + j]!;
    }
  }
}

/** Statistics of a whole in-memory matrix, through the streaming accumulator. */
export function featureStatistics(m: FeatureMatrix, options: MomentOptions = {}): FeatureStatistics {
  const acc = new MomentAccumulator(m.cols, options);
  acc.add(m);
  return acc.finish();
}

/**
 * Two-pass statistics (mean first, then Σ (x − μ)(x − μ)ᵀ / (N − 1)) over a matrix held whole:
 * the textbook computation the streaming one must equal.
 */
export function featureStatisticsTwoPass(m: FeatureMatrix): FeatureStatistics {
  const { rows: n, cols: d, data } = m;
  if (n < 2) throw new MetricInputError(`featureStatisticsTwoPass: the covariance needs at least 2 rows, got ${n}`);
  const mu = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let c = 0; c < d; c++) mu[c]! += data[r * d + c]!;
  for (let c = 0; c < d; c++) mu[c]! /= n;
  const sigma = new Float64Array(d * d);
  const y = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < d; c++) y[c] = data[r * d + c]! - mu[c]!;
    for (let i = 0; i < d; i++) for (let j = 0; j <= i; j++) sigma[i * d + j]! += y[i]! * y[j]!;
  }
  for (let i = 0; i < d; i++) for (let j = 0; j <= i; j++) sigma[i * d + j]! /= n - 1;
  mirrorLower(sigma, d);
  return { mu, sigma, n, d };
}
