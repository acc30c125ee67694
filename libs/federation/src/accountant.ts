/**
 * Privacy accounting for DP-FedAvg rounds with Rényi differential privacy.
 *
 * One round is the Sampled Gaussian Mechanism: each tenant takes part with probability q (the
 * participating fraction; q = 1 when every tenant takes part every round) and the mean gets
 * Gaussian noise with noise multiplier σ. Its RDP of integer order α ≥ 2 is (Mironov, Talwar,
 * Zhang, "Rényi Differential Privacy of the Sampled Gaussian Mechanism", arXiv:1908.10530, §3.3):
 *
 *   ε(α) = 1/(α−1) · log Σ_{k=0..α} C(α,k) (1−q)^{α−k} q^k exp((k² − k) / (2σ²))
 *
 * which for q = 1 is the closed form α / (2σ²) (Mironov 2017, arXiv:1702.07476, Prop. 7).
 * RDP composes additively over rounds, and (Mironov 2017, Prop. 3)
 *   ε = min_α  T·ε(α) + log(1/δ) / (α − 1).
 * Only integer orders are evaluated (fractional orders would tighten ε slightly); the conversion
 * is the classic one, not the tighter one of Balle et al. 2020, so ε here is a valid upper bound
 * that is a little looser than what Opacus or TF-Privacy print for the same run.
 *
 * The bound assumes Poisson sampling (each tenant independently with probability q). With
 * fractionFit < 1 the strategies pick a fixed-size random subset instead; using q = size / tenants
 * for it is the usual approximation. With q = 1 (every tenant every round, the study's setting)
 * there is no sampling and the bound is exact for the Gaussian mechanism.
 */
import { AggregationError } from './aggregate.ts';

/** The integer orders evaluated by default. */
export const DEFAULT_RDP_ORDERS: readonly number[] = Object.freeze([
  ...Array.from({ length: 63 }, (_, i) => i + 2),
  80, 96, 112, 128, 160, 192, 256, 384, 512, 1024,
]);

function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

/** RDP ε(α) of one Sampled Gaussian Mechanism step: sampling rate q in [0, 1], noise multiplier σ > 0, integer α ≥ 2. */
export function rdpSampledGaussian(q: number, sigma: number, alpha: number): number {
  if (!(q >= 0 && q <= 1)) throw new AggregationError(`rdpSampledGaussian: q must be in [0, 1], got ${q}`);
  if (!(sigma > 0)) throw new AggregationError(`rdpSampledGaussian: σ must be > 0 (σ = 0 gives no privacy), got ${sigma}`);
  if (!(Number.isInteger(alpha) && alpha >= 2)) throw new AggregationError(`rdpSampledGaussian: α must be an integer >= 2, got ${alpha}`);
  if (q === 0) return 0;
  if (q === 1) return alpha / (2 * sigma * sigma);
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  let logA = -Infinity;
  let logBinom = 0; // log C(α, 0)
  for (let k = 0; k <= alpha; k++) {
    if (k > 0) logBinom += Math.log(alpha - k + 1) - Math.log(k);
    const term = logBinom + (alpha - k) * log1mQ + k * logQ + (k * k - k) / (2 * sigma * sigma);
    logA = logAddExp(logA, term);
  }
  return logA / (alpha - 1);
}

/** Inputs of a privacy report. */
export interface PrivacyQuery {
  /** Participating fraction per round q in (0, 1]; 1 = every tenant every round. */
  samplingRate: number;
  /** Noise multiplier σ > 0. */
  noiseMultiplier: number;
  /** Rounds run so far (T ≥ 0). */
  rounds: number;
  /** Target δ in (0, 1), e.g. 1e-5. */
  delta: number;
  /** RDP orders to evaluate (integers ≥ 2); default DEFAULT_RDP_ORDERS. */
  orders?: readonly number[];
}

/** ε for δ, with the order that achieved it (a result carries its provenance). */
export interface PrivacySpent {
  epsilon: number;
  delta: number;
  /** The RDP order α at which the bound was tightest. */
  order: number;
  samplingRate: number;
  noiseMultiplier: number;
  rounds: number;
  /** Which bound this is. */
  method: 'rdp-sgm-integer-orders';
}

/** The (ε, δ) spent after `rounds` rounds of DP-FedAvg. */
export function privacySpent(query: PrivacyQuery): PrivacySpent {
  const { samplingRate: q, noiseMultiplier: sigma, rounds, delta } = query;
  const orders = query.orders ?? DEFAULT_RDP_ORDERS;
  if (!(delta > 0 && delta < 1)) throw new AggregationError(`privacySpent: δ must be in (0, 1), got ${delta}`);
  if (!(Number.isInteger(rounds) && rounds >= 0)) throw new AggregationError(`privacySpent: rounds must be an integer >= 0, got ${rounds}`);
  if (orders.length === 0) throw new AggregationError('privacySpent: no RDP orders');
  let best = { epsilon: Infinity, order: orders[0]! };
  for (const alpha of orders) {
    const eps = rounds * rdpSampledGaussian(q, sigma, alpha) + Math.log(1 / delta) / (alpha - 1);
    if (eps < best.epsilon) best = { epsilon: eps, order: alpha };
  }
  return { ...best, delta, samplingRate: q, noiseMultiplier: sigma, rounds, method: 'rdp-sgm-integer-orders' };
}
