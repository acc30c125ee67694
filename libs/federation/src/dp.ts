/**
 * Differential privacy for the aggregate, after DP-FedAvg (McMahan, Ramage, Talwar, Zhang,
 * "Learning Differentially Private Recurrent Language Models", ICLR 2018, arXiv:1710.06963):
 * each tenant's update Δ_j = w_j − w_global is clipped to L2 norm C over every averaged tensor
 * (G, D, G_ema), and Gaussian noise is added to the weighted mean of the clipped updates.
 *
 * Noise scale: the weighted mean Σ p_j·clip(Δ_j) changes by at most max_j p_j · C when one
 * tenant's update changes (user-level adjacency), so its noise is N(0, (σ · C · max_j p_j)²) per
 * coordinate — with equal weights this is σ·C/m, DP-FedAvg's σ·C on the sum divided by m. σ (the
 * noise multiplier) is what the accountant (accountant.ts) turns into ε.
 *
 * The noise must be added to a mean: robust rules (median, trimmed mean) have a different
 * sensitivity, so the strategies refuse DP for them. Scalars that are averaged (ADA p, pl_mean)
 * and averaged optimiser moments would leak outside the clipped update; DP requires the policy to
 * keep them local (see assertDpCompatiblePolicy).
 */
import { AggregationError } from './aggregate.ts';
import type { GanStatePolicy } from './gan-state-policy.ts';
import type { Rng } from './rng.ts';

/** DP-FedAvg parameters. */
export interface DpOptions {
  /** C: the L2 bound on each tenant's update (over G, D and G_ema together), > 0. */
  clip: number;
  /** σ: the noise multiplier; the mean gets N(0, (σ·C·max p_j)²) per coordinate. 0 = clipping only (no privacy). */
  noiseMultiplier: number;
}

/** Check DP options; throws AggregationError with what to change. */
export function assertDpOptions(dp: DpOptions): void {
  if (!(Number.isFinite(dp.clip) && dp.clip > 0)) throw new AggregationError(`DP: clip C must be a positive number, got ${dp.clip}`);
  if (!(Number.isFinite(dp.noiseMultiplier) && dp.noiseMultiplier >= 0)) {
    throw new AggregationError(`DP: noiseMultiplier σ must be >= 0, got ${dp.noiseMultiplier}`);
  }
}

/** Refuse policies under which tenant data reaches the global model outside the clipped update. */
export function assertDpCompatiblePolicy(policy: GanStatePolicy): void {
  const leaks: string[] = [];
  if (policy.adaP !== 'keep-local') leaks.push(`adaP '${policy.adaP}' (use 'keep-local')`);
  if (policy.plMean === 'average') leaks.push(`plMean 'average' (use 'keep-local' or 'reset')`);
  if (policy.moments === 'average') leaks.push(`moments 'average' (use 'keep-local' or 'reset')`);
  if (leaks.length > 0) {
    throw new AggregationError(`DP: the GAN-state policy averages un-clipped tenant state: ${leaks.join('; ')}`);
  }
}

/** The factor that scales an update of L2 norm `norm` to norm at most C: min(1, C/norm). */
export function clipFactor(norm: number, clip: number): number {
  if (!(norm >= 0) || !Number.isFinite(norm)) throw new AggregationError(`clipFactor: update norm must be finite and >= 0, got ${norm}`);
  return norm <= clip ? 1 : clip / norm;
}

/** The per-coordinate noise standard deviation on a weighted mean: σ · C · max_j p_j. */
export function noiseStdForMean(dp: DpOptions, weights: readonly number[]): number {
  return dp.noiseMultiplier * dp.clip * Math.max(...weights);
}

/** Add N(0, std²) to every entry, in place. */
export function addGaussianNoise(values: Float32Array, std: number, rng: Rng): Float32Array {
  if (std === 0) return values;
  for (let i = 0; i < values.length; i++) values[i] = values[i]! + std * rng.gaussian();
  return values;
}
