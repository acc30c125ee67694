/**
 * The contract every aggregation rule implements (after Flower's `Strategy`, adap/flower
 * `server/strategy/strategy.py`): the fl-aggregator asks a strategy whom to train each round and
 * how to merge what came back, and persists the strategy's state between rounds. A rule is one
 * class; most override only `aggregateTensor` (base-strategy.ts).
 */
import type { GanStatePolicy } from './gan-state-policy.ts';
import type { Rng } from './rng.ts';
import type { TensorSink, WeightSource, WrittenWeights } from './weight-file.ts';
import type { WeightHeader } from './weights.ts';

/** A tenant available for a round. */
export interface TenantInfo {
  /** Tenant id. */
  tenant: string;
}

/** What tenants are told for a round (travels in `federation.round.started`). */
export interface TenantRoundConfig {
  /** The GAN-state policy tenants apply at the start of the round (resolveTenantRoundState). */
  ganStatePolicy: GanStatePolicy;
  /** FedProx μ: tenants add μ/2·‖w − w_global‖² to their losses; 0 or absent = plain FedAvg training. */
  proximalMu?: number;
}

/** The plan for one round. */
export interface RoundPlan {
  round: number;
  /** Tenants asked to train this round, sorted. */
  participants: string[];
  config: TenantRoundConfig;
}

/** One accepted update. */
export interface UpdateResult {
  tenant: string;
  /** Samples seen this round (the FedAvg weight). */
  samples: number;
  /** Where to stream the update's weights from. */
  source: WeightSource;
  /** ‖update − global‖ over G, D, G_ema (UpdateInspection.deltaNorm); required when DP is on. */
  deltaNorm?: number;
}

/** A tenant whose update is missing from this round, and why (dropped, rejected, failed). */
export interface UpdateFailure {
  tenant: string;
  /** A RejectionReason, 'dropped', or another short code. */
  reason: string;
  detail?: string;
}

/** Where aggregation reads and writes. */
export interface AggregateIO {
  /** The current global model. */
  global: WeightSource;
  /** Open the destination of the new global model once its header is known. */
  createOutput(header: WeightHeader): TensorSink;
  /** The strategy's server state from the previous round, one weight file per slot (FedOpt: `m`, `v`); null/absent on the first round or for stateless strategies. */
  serverStateIn?: Readonly<Record<string, WeightSource>> | null;
  /** Open the destination of a slot of the new server state (required by strategies with server state). */
  createServerStateOutput?(slot: string, header: WeightHeader): TensorSink;
  /** Randomness for DP noise; default a fresh secure generator. */
  rng?: Rng;
}

/** Numbers about one aggregation, reported in `round.completed`. */
export interface AggregateMetrics {
  /** Tenants averaged in, in input order. */
  participants: string[];
  /** Their normalised weights. */
  weights: number[];
  /** ‖new global − old global‖₂ over G, D, G_ema. */
  globalDeltaNorm: number;
  /** Per-participant DP clip factors min(1, C/‖Δ‖), or null without DP. */
  clipFactors: number[] | null;
  /** Per-coordinate DP noise std on the mean, or null without DP. */
  noiseStd: number | null;
}

/** The result of `aggregate`: a new global model, or none with the reasons. */
export type AggregateOutcome =
  | {
      status: 'aggregated';
      /** Hash and size of the new global model as written to `createOutput`. */
      global: WrittenWeights;
      /** Hash and size of each slot file of the new server state, or null for stateless strategies. */
      serverState: Record<string, WrittenWeights> | null;
      metrics: AggregateMetrics;
    }
  | {
      /** No new model: the previous global stays. Not an error (Flower returns None). */
      status: 'skipped';
      reasons: string[];
    };

/** A strategy's persistent state (plain JSON), restored after an aggregator restart. */
export interface StrategyState {
  /** Strategy name; restore() refuses another strategy's state. */
  name: string;
  /** Rounds aggregated so far. */
  roundsAggregated: number;
  /** True once server state (one weight file per slot) exists; the service stores their refs beside this. */
  hasServerState: boolean;
}

/** One aggregation rule. */
export interface Strategy {
  /** Short name: 'fedavg', 'fedavgm', 'fedprox', 'fedadam', 'fedyogi', 'fedadagrad', 'fedmedian', 'trimmed-mean', 'krum'. */
  readonly name: string;
  /**
   * True when the rule needs only the weighted mean of the updates (FedAvg and the FedOpt family),
   * so it can run on a securely aggregated sum; robust rules need each update and cannot.
   */
  readonly supportsSecureAggregation: boolean;
  /** What happens to ADA p, pl_mean, the moments and G_ema each round. */
  readonly policy: GanStatePolicy;
  /** Pick this round's participants among the available tenants and say what they are told. */
  configureRound(round: number, available: readonly TenantInfo[]): RoundPlan;
  /**
   * Merge the accepted updates into a new global model, streaming tensor by tensor.
   * Returns `skipped` (never throws) when there are no results, or when there are failures and
   * `acceptFailures` is off; throws only for inconsistent inputs (unvalidated updates, I/O errors).
   */
  aggregate(round: number, results: readonly UpdateResult[], failures: readonly UpdateFailure[], io: AggregateIO): Promise<AggregateOutcome>;
  /** The state to persist after every round. */
  state(): StrategyState;
  /** Continue from a persisted state. */
  restore(state: StrategyState): void;
}
