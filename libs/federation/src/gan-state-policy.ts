/**
 * What happens to a GAN's training state at each federation round: a stated policy, not an
 * accident of where variables live.
 *
 * The reference (sancarlim/decentralizedAI_dermatology, REFERENCE.md §1.4) averages G, D and G_ema
 * as plain weights, keeps the Adam moments local (they are never sent), and — a bug — re-creates
 * ADA p and the path-length mean inside each round's training call, so both restart from 0 every
 * 100 iterations: ADA never ramps up and the path-length penalty is measured against a mean that
 * is always warming up. The defaults below keep what the reference does on purpose and fix the
 * bug (both values persist across rounds):
 *
 * - `adaP: 'keep-local'` — p answers "how much is this tenant's D overfitting its own reals"
 *   (the r_t sign heuristic runs on local reals); a 2k-image hospital needs a larger p than a
 *   20k-image one, so each tenant carries its own p from round to round.
 * - `plMean: 'average'` — pl_mean is a statistic of G, and G is shared: after G is averaged, the
 *   sample-weighted mean of the tenants' estimates is the best estimate for the new G.
 * - `moments: 'keep-local'` — the reference's choice and FedAvg's usual one; moments are not sent.
 * - `gEma: 'average'` — the reference's choice: G_ema is averaged like any weights.
 */
import { AggregationError } from './aggregate.ts';
import { groupOf, isMomentGroup, type GanScalars, type TensorSpec } from './weights.ts';

/** The per-round policy for the non-weight GAN state. */
export interface GanStatePolicy {
  /** ADA p: 'average' = sample-weighted mean; 'keep-local' = each tenant keeps its own; 'max' = the largest. */
  adaP: 'average' | 'keep-local' | 'max';
  /** Path-length mean: 'average' = sample-weighted mean; 'keep-local' = tenant's own; 'reset' = 0 every round (the reference's behaviour). */
  plMean: 'average' | 'keep-local' | 'reset';
  /** Adam moments: 'keep-local' = never sent, tenant keeps its own; 'reset' = tenant zeroes them each round; 'average' = sent and averaged like weights. */
  moments: 'keep-local' | 'reset' | 'average';
  /** G_ema: 'average' = averaged like weights; 'recompute' = the server keeps its own EMA of the global G across rounds (tenants' G_ema ignored). */
  gEma: 'average' | 'recompute';
  /** Per-round EMA decay for gEma 'recompute': G_ema ← β·G_ema + (1 − β)·G. Default 0.99778^100 ≈ 0.80 (the reference's per-iteration β over K = 100 iterations). */
  gEmaBeta: number;
}

/** The defaults: the reference's choices, with its bug (p and pl_mean reset every round) fixed. */
export const DEFAULT_GAN_STATE_POLICY: Readonly<GanStatePolicy> = Object.freeze({
  adaP: 'keep-local',
  plMean: 'average',
  moments: 'keep-local',
  gEma: 'average',
  gEmaBeta: 0.5 ** ((32 / 10_000) * 100),
});

/**
 * The defaults under differential privacy: pl_mean is an average of tenant statistics outside the
 * clipped update, so with DP each tenant keeps its own (dp.ts assertDpCompatiblePolicy).
 */
export const DP_DEFAULT_GAN_STATE_POLICY: Readonly<GanStatePolicy> = Object.freeze({
  ...DEFAULT_GAN_STATE_POLICY,
  plMean: 'keep-local',
});

/** The reference's behaviour, bug included (for ablations that reproduce the study). */
export const REFERENCE_GAN_STATE_POLICY: Readonly<GanStatePolicy> = Object.freeze({
  ...DEFAULT_GAN_STATE_POLICY,
  adaP: 'average',
  plMean: 'reset',
});

/** Fill a partial policy with the defaults (DP_DEFAULT_GAN_STATE_POLICY's when `dp`) and check it. */
export function resolveGanStatePolicy(partial: Partial<GanStatePolicy> = {}, dp = false): GanStatePolicy {
  const defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
  const policy = { ...(dp ? DP_DEFAULT_GAN_STATE_POLICY : DEFAULT_GAN_STATE_POLICY), ...defined };
  const allowed: Record<keyof Omit<GanStatePolicy, 'gEmaBeta'>, readonly string[]> = {
    adaP: ['average', 'keep-local', 'max'],
    plMean: ['average', 'keep-local', 'reset'],
    moments: ['keep-local', 'reset', 'average'],
    gEma: ['average', 'recompute'],
  };
  for (const [key, values] of Object.entries(allowed)) {
    const v = policy[key as keyof typeof allowed];
    if (!values.includes(v)) throw new AggregationError(`GanStatePolicy.${key} must be one of ${values.join(', ')}; got ${String(v)}`);
  }
  if (!(policy.gEmaBeta >= 0 && policy.gEmaBeta < 1)) {
    throw new AggregationError(`GanStatePolicy.gEmaBeta must be in [0, 1), got ${policy.gEmaBeta}`);
  }
  return policy;
}

/** Server side: the scalars of the new global model from the tenants' scalars and weights. */
export function aggregateScalars(
  policy: GanStatePolicy,
  tenants: readonly GanScalars[],
  weights: readonly number[],
  previous: GanScalars,
): GanScalars {
  const out: GanScalars = {};
  const weighted = (pick: (s: GanScalars) => number | undefined): number | undefined => {
    const vals = tenants.map(pick);
    if (vals.some((v) => v === undefined)) return undefined;
    return vals.reduce<number>((acc, v, j) => acc + weights[j]! * v!, 0);
  };
  if (policy.adaP === 'average') out.adaP = weighted((s) => s.adaP) ?? previous.adaP;
  else if (policy.adaP === 'max') {
    const vals = tenants.map((s) => s.adaP).filter((v): v is number => v !== undefined);
    out.adaP = vals.length === tenants.length && vals.length > 0 ? Math.max(...vals) : previous.adaP;
  }
  if (policy.plMean === 'average') out.plMean = weighted((s) => s.plMean) ?? previous.plMean;
  else if (policy.plMean === 'reset') out.plMean = 0;
  for (const k of Object.keys(out) as (keyof GanScalars)[]) if (out[k] === undefined) delete out[k];
  return out;
}

/** What a tenant does with its optimiser moments at the start of a round. */
export type MomentsAction = 'keep-local' | 'reset' | 'load-global';

/** Tenant side: the state to start a round with. */
export interface TenantRoundState {
  /** ADA p to train with. */
  adaP: number;
  /** Path-length mean to train with. */
  plMean: number;
  /** What to do with the optimiser moments. */
  moments: MomentsAction;
}

/**
 * Tenant side: combine the tenant's own state (carried from its previous round; zeros for a new
 * tenant) with the global model's scalars under the policy. When the policy says to take a global
 * value but the global model lacks it (the first round), the tenant's own value is kept.
 */
export function resolveTenantRoundState(policy: GanStatePolicy, local: Required<GanScalars>, global: GanScalars): TenantRoundState {
  const adaP = policy.adaP === 'keep-local' ? local.adaP : (global.adaP ?? local.adaP);
  const plMean = policy.plMean === 'keep-local' ? local.plMean : policy.plMean === 'reset' ? 0 : (global.plMean ?? local.plMean);
  const moments: MomentsAction = policy.moments === 'average' ? 'load-global' : policy.moments;
  return { adaP, plMean, moments };
}

/**
 * The tensors that travel under the policy (the tenant's upload and the initial global model's
 * schema): everything except the optimiser moments (G_opt/, D_opt/), unless moments are 'average'.
 */
export function tensorsToExchange<T extends TensorSpec>(policy: GanStatePolicy, tensors: readonly T[]): T[] {
  return tensors.filter((t) => policy.moments === 'average' || !isMomentGroup(groupOf(t.name)));
}
