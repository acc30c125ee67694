/**
 * α-precision, β-recall and authenticity (Alaa, van Breugel, Saveliev & van der Schaar, "How
 * Faithful is your Synthetic Data? Sample-level Metrics for Evaluating and Auditing Generative
 * Models", ICML 2022, arXiv:2102.08921).
 *
 * What is computed here (the paper's definitions on the given feature space, without the paper's
 * one-class embedding network — the embedding is the identity and its centre the real mean, as the
 * reference code's and synthcity's "naive" variant do):
 * - α-support of the reals: the ball around c = mean(real) whose radius R(α) is the α-quantile
 *   (numpy 'linear' interpolation) of ‖x_r − c‖; α on S = 30 equal steps of [0, 1];
 * - α-precision curve P(α) = share of fakes with ‖x_g − c‖ ≤ R(α);
 * - β-recall curve: for each real r, its nearest fake g(r); r counts when
 *   ‖x_r − g(r)‖ ≤ (distance from r to its nearest other real) and ‖g(r) − c_g‖ ≤ R_g(β), where
 *   c_g = mean(fake) and R_g(β) is the β-quantile of ‖g(r) − c_g‖ over the reals;
 * - summaries (the reference code's Riemann sums of the paper's integrals):
 *   α-precision = 1 − 2 Σ_α |P(α) − α| Δα,  β-recall = 1 − 2 Σ_β |R(β) − β| Δβ;
 * - authenticity (as dermagan defines it, following the paper's hypothesis test): the share of fakes
 *   whose distance to their nearest real r* is larger than r*'s distance to its own nearest other
 *   real (strictly: a tie is not authentic; the first nearest real is taken on ties).
 */
import { DEFAULTS } from './defaults.ts';
import type { FeatureMatrix } from './features-matrix.ts';
import type { Compute } from './compute.ts';
import { gatherNeighbourhoods, type NeighbourhoodRequest, type Neighbourhoods } from './neighbourhoods.ts';

/** Options for {@link alphaBetaAuthenticity}. */
export interface AlphaBetaOptions {
  /** Number of α (and β) levels on [0, 1] (default 30). */
  steps?: number;
  /** Where the distances run (default float64). */
  compute?: Compute;
}

export interface AlphaBetaResult {
  alphaPrecision: number;
  betaRecall: number;
  authenticity: number;
  /** The α levels. */
  alphas: number[];
  /** P(α) per level. */
  alphaPrecisionCurve: number[];
  /** R(β) per level. */
  betaRecallCurve: number[];
}

export function alphaBetaRequest(): Pick<NeighbourhoodRequest, 'ks' | 'balls'> {
  return { ks: [1], balls: [] };
}

/** numpy.linspace(0, 1, steps): i · (1 / (steps − 1)), the last exactly 1. */
export function unitLevels(steps: number): number[] {
  const step = 1 / (steps - 1);
  return Array.from({ length: steps }, (_, i) => (i === steps - 1 ? 1 : i * step));
}

/** numpy.quantile(values, q) with the default 'linear' method, on an ascending-sorted array. */
export function quantileSorted(sorted: Float64Array, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const g = h - lo;
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  const diff = b - a;
  return g >= 0.5 ? b - diff * (1 - g) : a + diff * g;
}

function distancesTo(m: FeatureMatrix, centre: Float64Array, rows?: Int32Array): Float64Array {
  const d = m.cols;
  const n = rows ? rows.length : m.rows;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = (rows ? rows[i]! : i) * d;
    let s = 0;
    for (let c = 0; c < d; c++) {
      const v = m.data[o + c]! - centre[c]!;
      s += v * v;
    }
    out[i] = Math.sqrt(s);
  }
  return out;
}

function mean(m: FeatureMatrix): Float64Array {
  const c = new Float64Array(m.cols);
  for (let r = 0; r < m.rows; r++) for (let j = 0; j < m.cols; j++) c[j]! += m.data[r * m.cols + j]!;
  for (let j = 0; j < m.cols; j++) c[j]! /= m.rows;
  return c;
}

export function alphaBetaFromNeighbourhoods(nb: Neighbourhoods, steps: number): AlphaBetaResult {
  const { real, fake } = nb;
  const alphas = unitLevels(steps);
  const delta = alphas[1]! - alphas[0]!;
  // α-precision: fakes inside the real α-balls around the real centre.
  const centre = mean(real);
  const realToCentre = distancesTo(real, centre).sort();
  const fakeToCentre = distancesTo(fake, centre);
  const alphaPrecisionCurve = alphas.map((a) => {
    const r = quantileSorted(realToCentre, a);
    let inside = 0;
    for (const v of fakeToCentre) if (v <= r) inside++;
    return inside / fake.rows;
  });
  // β-recall: reals whose nearest fake is close (≤ the real's nearest-real distance) and typical.
  const nearestRealOfReal = nb.realRadii.get(1)!; // squared distance to the nearest other real
  const realNearestFake = nb.cross.bNearest; // per real row: squared distance and fake index
  const fakeCentre = mean(fake);
  const closestToFakeCentre = distancesTo(fake, fakeCentre, realNearestFake.index);
  const closestSorted = Float64Array.from(closestToFakeCentre).sort();
  const close = Uint8Array.from(realNearestFake.d2, (v, j) => (v <= nearestRealOfReal[j]! ? 1 : 0));
  const betaRecallCurve = alphas.map((b) => {
    const r = quantileSorted(closestSorted, b);
    let counted = 0;
    for (let j = 0; j < real.rows; j++) if (close[j] && closestToFakeCentre[j]! <= r) counted++;
    return counted / real.rows;
  });
  const summary = (curve: number[]) => 1 - 2 * curve.reduce((s, v, i) => s + Math.abs(v - alphas[i]!), 0) * delta;
  // Authenticity: per fake, its nearest real r*, compared with r*'s nearest other real.
  const fakeNearestReal = nb.cross.aNearest;
  let authentic = 0;
  for (let g = 0; g < fake.rows; g++) {
    if (fakeNearestReal.d2[g]! > nearestRealOfReal[fakeNearestReal.index[g]!]!) authentic++;
  }
  return {
    alphaPrecision: summary(alphaPrecisionCurve),
    betaRecall: summary(betaRecallCurve),
    authenticity: authentic / fake.rows,
    alphas,
    alphaPrecisionCurve,
    betaRecallCurve,
  };
}

export function alphaBetaAuthenticity(real: FeatureMatrix, fake: FeatureMatrix, options: AlphaBetaOptions = {}): AlphaBetaResult {
  const request: NeighbourhoodRequest = { ...alphaBetaRequest(), compute: options.compute };
  return alphaBetaFromNeighbourhoods(gatherNeighbourhoods(real, fake, request), options.steps ?? DEFAULTS.alphaSteps);
}
