/**
 * The pure math of aggregation, over one tensor at a time: `values[j]` is tenant j's copy of the
 * tensor (all the same length), `weights[j]` its normalised weight. Strategies call these; the
 * streaming driver (aggregate-round.ts) feeds them tensor by tensor. Sums accumulate in float64.
 */

/** Raised when aggregation inputs are inconsistent (lengths, weights). Never retriable. */
export class AggregationError extends Error {
  override readonly name = 'AggregationError';
  readonly retriable = false;
}

function assertSameLength(what: string, values: readonly Float32Array[]): number {
  if (values.length === 0) throw new AggregationError(`${what}: no values to aggregate`);
  const n = values[0]!.length;
  values.forEach((v, j) => {
    if (v.length !== n) throw new AggregationError(`${what}: value #${j} has ${v.length} entries, expected ${n}`);
  });
  return n;
}

/** Sample counts → weights summing to 1. Throws when a count is not a positive finite number. */
export function normalizeWeights(samples: readonly number[]): number[] {
  if (samples.length === 0) throw new AggregationError('normalizeWeights: no sample counts');
  for (const s of samples) {
    if (!(Number.isFinite(s) && s > 0)) throw new AggregationError(`normalizeWeights: sample counts must be positive, got ${s}`);
  }
  const total = samples.reduce((a, b) => a + b, 0);
  return samples.map((s) => s / total);
}

/**
 * Weights summing to 1 in which none exceeds `factor` × the equal share 1/n: the excess of a capped
 * weight goes to the others in proportion to theirs, until none is over (water-filling). A tenant
 * with a large registered dataset then still cannot dominate the model (with factor 2 and 3
 * tenants: at most 2/3). factor ≤ 1 gives equal weights; Infinity leaves them as they are.
 */
export function capWeights(weights: readonly number[], factor: number): number[] {
  const n = weights.length;
  if (n === 0) throw new AggregationError('capWeights: no weights');
  if (!(factor > 0)) throw new AggregationError(`capWeights: factor must be > 0, got ${factor}`);
  const cap = Math.min(1, factor / n);
  const out = [...weights];
  const capped = new Set<number>();
  for (;;) {
    const over = out.map((w, i) => i).filter((i) => !capped.has(i) && out[i]! > cap * (1 + 1e-12));
    if (over.length === 0) return out;
    for (const i of over) {
      out[i] = cap;
      capped.add(i);
    }
    const free = out.map((_, i) => i).filter((i) => !capped.has(i));
    const rest = 1 - cap * capped.size;
    const freeTotal = free.reduce((a, i) => a + out[i]!, 0);
    for (const i of free) out[i] = freeTotal > 0 ? (out[i]! / freeTotal) * rest : rest / free.length;
  }
}

/** Σ_j weights[j]·values[j], coordinate-wise (FedAvg's mean when the weights sum to 1). */
export function weightedMean(values: readonly Float32Array[], weights: readonly number[]): Float32Array {
  const n = assertSameLength('weightedMean', values);
  if (weights.length !== values.length) throw new AggregationError(`weightedMean: ${values.length} values but ${weights.length} weights`);
  const out = new Float32Array(n);
  const m = values.length;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < m; j++) s += weights[j]! * values[j]![i]!;
    out[i] = s;
  }
  return out;
}

/** Coordinate-wise median (unweighted; the mean of the two middle values for an even count). */
export function coordinateMedian(values: readonly Float32Array[]): Float32Array {
  const n = assertSameLength('coordinateMedian', values);
  const m = values.length;
  const out = new Float32Array(n);
  const column = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) column[j] = values[j]![i]!;
    column.sort();
    out[i] = m % 2 === 1 ? column[(m - 1) / 2]! : (column[m / 2 - 1]! + column[m / 2]!) / 2;
  }
  return out;
}

/**
 * Coordinate-wise trimmed mean: per coordinate, drop the floor(beta·m) smallest and largest
 * values and average the rest (unweighted). `beta` in [0, 0.5); at least one value must remain.
 */
export function trimmedMean(values: readonly Float32Array[], beta: number): Float32Array {
  const n = assertSameLength('trimmedMean', values);
  const m = values.length;
  if (!(beta >= 0 && beta < 0.5)) throw new AggregationError(`trimmedMean: beta must be in [0, 0.5), got ${beta}`);
  const cut = Math.floor(beta * m);
  const kept = m - 2 * cut;
  const out = new Float32Array(n);
  const column = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) column[j] = values[j]![i]!;
    column.sort();
    let s = 0;
    for (let j = cut; j < m - cut; j++) s += column[j]!;
    out[i] = s / kept;
  }
  return out;
}

/** Σ_i (a_i − b_i)², in float64. */
export function squaredDistance(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new AggregationError(`squaredDistance: lengths ${a.length} and ${b.length} differ`);
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    s += d * d;
  }
  return s;
}

/** Σ_i a_i², in float64. */
export function squaredNorm(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return s;
}

/** global + factor·(value − global): an update pulled toward the global model (factor 1 = unchanged). */
export function scaleToward(global: Float32Array, value: Float32Array, factor: number): Float32Array {
  if (global.length !== value.length) throw new AggregationError(`scaleToward: lengths ${global.length} and ${value.length} differ`);
  if (factor === 1) return value;
  const out = new Float32Array(value.length);
  for (let i = 0; i < value.length; i++) out[i] = global[i]! + factor * (value[i]! - global[i]!);
  return out;
}

/** The server optimisers of Reddi et al. 2021 (Algorithm 2), which differ only in the v update. */
export type ServerOptimizer = 'adagrad' | 'adam' | 'yogi';

/** Hyper-parameters of a FedOpt server step. */
export interface ServerOptimizerParams {
  /** Server learning rate η. */
  eta: number;
  /** First-moment decay β1 in [0, 1). */
  beta1: number;
  /** Second-moment decay β2 in [0, 1) (unused by Adagrad). */
  beta2: number;
  /** Adaptivity τ > 0: added to √v, and v starts at τ². */
  tau: number;
}

/**
 * One FedOpt server step on one tensor, in place on `m` and `v`, returning the new weights:
 *   Δ = mean − x;  m ← β1·m + (1 − β1)·Δ
 *   Adagrad: v ← v + Δ²;  Adam: v ← β2·v + (1 − β2)·Δ²;  Yogi: v ← v − (1 − β2)·Δ²·sign(v − Δ²)
 *   x' = x + η·m / (√v + τ)
 * No bias correction (as in the paper). `m` starts at 0 and `v` at τ² (see `initialMoments`).
 */
export function serverOptimizerStep(
  kind: ServerOptimizer,
  params: ServerOptimizerParams,
  global: Float32Array,
  mean: Float32Array,
  m: Float32Array,
  v: Float32Array,
): Float32Array {
  const n = global.length;
  if (mean.length !== n || m.length !== n || v.length !== n) {
    throw new AggregationError(`serverOptimizerStep: lengths differ (global ${n}, mean ${mean.length}, m ${m.length}, v ${v.length})`);
  }
  const { eta, beta1, beta2, tau } = params;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const x = global[i]!;
    const d = mean[i]! - x;
    const mi = beta1 * m[i]! + (1 - beta1) * d;
    const d2 = d * d;
    const vPrev = v[i]!;
    const vi =
      kind === 'adagrad' ? vPrev + d2
      : kind === 'adam' ? beta2 * vPrev + (1 - beta2) * d2
      : vPrev - (1 - beta2) * d2 * Math.sign(vPrev - d2);
    m[i] = mi;
    v[i] = vi;
    out[i] = x + (eta * mi) / (Math.sqrt(vi) + tau);
  }
  return out;
}

/** FedOpt's starting moments for a tensor of `n` values: m = 0, v = τ². */
export function initialMoments(n: number, tau: number): { m: Float32Array; v: Float32Array } {
  return { m: new Float32Array(n), v: new Float32Array(n).fill(tau * tau) };
}
