/**
 * What every strategy shares: choosing participants, the failure rules of `aggregate`, the
 * streaming driver, DP and the GAN-state policy, and persistent state. A concrete strategy sets
 * its name and overrides `aggregateTensor` (and, with server state, `slotNames`/`initialSlot`).
 */
import { AggregationError } from './aggregate.ts';
import { aggregateRound, type TensorContext } from './aggregate-round.ts';
import { assertDpCompatiblePolicy, assertDpOptions, type DpOptions } from './dp.ts';
import { resolveGanStatePolicy, type GanStatePolicy } from './gan-state-policy.ts';
import { secureRng, seededRng } from './rng.ts';
import type {
  AggregateIO,
  AggregateOutcome,
  RoundPlan,
  Strategy,
  StrategyState,
  TenantInfo,
  TenantRoundConfig,
  UpdateFailure,
  UpdateResult,
} from './strategy.ts';

/** Options every strategy takes. */
export interface StrategyOptions {
  /** Fraction of the available tenants asked to train each round, in (0, 1]; default 1 (all, as in the study). */
  fractionFit?: number;
  /** Ask at least this many tenants (capped at the number available); default 1. */
  minFit?: number;
  /** Aggregate even when some participants failed (dropped, rejected); default true. Off: any failure skips the round. */
  acceptFailures?: boolean;
  /** GAN-state policy; missing fields take DEFAULT_GAN_STATE_POLICY's (DP_DEFAULT_GAN_STATE_POLICY's with DP). */
  policy?: Partial<GanStatePolicy>;
  /** DP-FedAvg clipping and noise; undefined/null = no DP. Only mean-based strategies accept it. */
  dp?: DpOptions | null;
  /** Seed of the participant sampling when fractionFit < 1; default 0. */
  samplingSeed?: number;
}

export abstract class BaseStrategy implements Strategy {
  abstract readonly name: string;
  /** True for rules whose output is a (weighted) mean, so DP noise calibration applies. */
  protected readonly supportsDp: boolean = false;
  readonly supportsSecureAggregation: boolean = false;
  readonly fractionFit: number;
  readonly minFit: number;
  readonly acceptFailures: boolean;
  readonly policy: GanStatePolicy;
  readonly dp: DpOptions | null;
  readonly samplingSeed: number;
  protected roundsAggregated = 0;
  protected hasServerState = false;

  constructor(options: StrategyOptions = {}) {
    const { fractionFit = 1, minFit = 1, acceptFailures = true, policy = {}, dp = null, samplingSeed = 0 } = options;
    if (!(fractionFit > 0 && fractionFit <= 1)) throw new AggregationError(`strategy: fractionFit must be in (0, 1], got ${fractionFit}`);
    if (!(Number.isInteger(minFit) && minFit >= 1)) throw new AggregationError(`strategy: minFit must be an integer >= 1, got ${minFit}`);
    this.fractionFit = fractionFit;
    this.minFit = minFit;
    this.acceptFailures = acceptFailures;
    this.policy = resolveGanStatePolicy(policy, Boolean(dp));
    this.samplingSeed = samplingSeed;
    if (dp) {
      assertDpOptions(dp);
      assertDpCompatiblePolicy(this.policy);
    }
    this.dp = dp;
  }

  /** Check constructor-time invariants that depend on the subclass (call at the end of subclass constructors). */
  protected checkDpSupport(): void {
    if (this.dp && !this.supportsDp) {
      throw new AggregationError(`${this.name}: DP noise is calibrated for a mean; use fedavg, fedprox, fedadam, fedyogi or fedadagrad, or turn DP off`);
    }
  }

  /** The per-tensor rule. */
  abstract aggregateTensor(ctx: TensorContext): Float32Array;

  /** Names of per-tensor server-state slots (FedOpt: m, v). */
  slotNames(): readonly string[] {
    return [];
  }

  /** A slot's value before the first round. */
  initialSlot(slot: string, size: number): Float32Array {
    void slot;
    return new Float32Array(size);
  }

  /** Extra fields tenants are told (FedProx: μ). */
  protected tenantConfig(): Omit<TenantRoundConfig, 'ganStatePolicy'> {
    return {};
  }

  configureRound(round: number, available: readonly TenantInfo[]): RoundPlan {
    const ids = [...new Set(available.map((t) => t.tenant))].sort();
    let participants = ids;
    if (this.fractionFit < 1) {
      const count = Math.min(ids.length, Math.max(this.minFit, Math.ceil(this.fractionFit * ids.length)));
      const rng = seededRng(`sampling:${this.samplingSeed}:${round}`);
      const shuffled = [...ids];
      for (let i = shuffled.length - 1; i > 0; i--) {
        const k = Math.floor(rng.uniform() * (i + 1));
        [shuffled[i], shuffled[k]] = [shuffled[k]!, shuffled[i]!];
      }
      participants = shuffled.slice(0, count).sort();
    }
    return { round, participants, config: { ganStatePolicy: { ...this.policy }, ...this.tenantConfig() } };
  }

  async aggregate(round: number, results: readonly UpdateResult[], failures: readonly UpdateFailure[], io: AggregateIO): Promise<AggregateOutcome> {
    if (results.length === 0) return { status: 'skipped', reasons: ['no accepted updates'] };
    if (failures.length > 0 && !this.acceptFailures) {
      return { status: 'skipped', reasons: failures.map((f) => `${f.tenant}: ${f.reason}${f.detail ? ` (${f.detail})` : ''}; acceptFailures is off`) };
    }
    const slotNames = this.slotNames();
    if (this.hasServerState && slotNames.length > 0 && !io.serverStateIn) {
      throw new AggregationError(`${this.name}: the strategy has server state from earlier rounds; pass io.serverStateIn`);
    }
    const out = await aggregateRound({
      round,
      updates: results,
      global: io.global,
      policy: this.policy,
      rule: (ctx) => this.aggregateTensor(ctx),
      slotNames,
      initialSlot: (slot, size) => this.initialSlot(slot, size),
      serverStateIn: this.hasServerState ? (io.serverStateIn ?? null) : null,
      createOutput: io.createOutput,
      createServerStateOutput: io.createServerStateOutput ?? null,
      dp: this.dp,
      rng: io.rng ?? secureRng(),
    });
    this.roundsAggregated += 1;
    if (out.serverState) this.hasServerState = true;
    return { status: 'aggregated', ...out };
  }

  state(): StrategyState {
    return { name: this.name, roundsAggregated: this.roundsAggregated, hasServerState: this.hasServerState };
  }

  restore(state: StrategyState): void {
    if (state.name !== this.name) throw new AggregationError(`${this.name}.restore: the state belongs to strategy '${state.name}'`);
    if (!(Number.isInteger(state.roundsAggregated) && state.roundsAggregated >= 0)) {
      throw new AggregationError(`${this.name}.restore: roundsAggregated must be an integer >= 0, got ${state.roundsAggregated}`);
    }
    this.roundsAggregated = state.roundsAggregated;
    this.hasServerState = state.hasServerState;
  }
}
