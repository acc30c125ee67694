/**
 * FedOpt: the server treats the mean update Δ = mean − w_global as a pseudo-gradient and applies
 * an adaptive optimiser to it (server learning rate η, β1, β2, adaptivity τ). Reddi, Charles,
 * Zaheer, Garrett, Rush, Konečný, Kumar, McMahan, "Adaptive Federated Optimization", ICLR 2021,
 * arXiv:2003.00295, Algorithm 2. FedAdam, FedYogi and FedAdagrad pick the second-moment update.
 *
 * The moments m and v are model-sized server state: they are streamed like the model, read from
 * `io.serverStateIn` and written to `io.createServerStateOutput` each round. With DP, the noise is
 * added to the mean before the optimiser step (post-processing keeps the guarantee).
 */
import { AggregationError, initialMoments, serverOptimizerStep, type ServerOptimizer, type ServerOptimizerParams } from './aggregate.ts';
import { noisyWeightedMean, type TensorContext } from './aggregate-round.ts';
import type { StrategyOptions } from './base-strategy.ts';
import { FedAvg } from './fedavg.ts';

export interface FedOptOptions extends StrategyOptions {
  /** Server learning rate η > 0; default 0.01. */
  eta?: number;
  /** First-moment decay β1 in [0, 1); default 0.9 (Reddi et al.). */
  beta1?: number;
  /** Second-moment decay β2 in [0, 1); default 0.99 (Reddi et al.). */
  beta2?: number;
  /** Adaptivity τ > 0; default 1e-3 (Reddi et al.'s grid). */
  tau?: number;
}

export abstract class FedOpt extends FedAvg {
  /** Which second-moment rule. */
  protected abstract readonly optimizer: ServerOptimizer;
  readonly params: ServerOptimizerParams;

  constructor(options: FedOptOptions = {}) {
    super(options);
    const { eta = 0.01, beta1 = 0.9, beta2 = 0.99, tau = 1e-3 } = options;
    if (!(eta > 0)) throw new AggregationError(`FedOpt: eta must be > 0, got ${eta}`);
    if (!(beta1 >= 0 && beta1 < 1)) throw new AggregationError(`FedOpt: beta1 must be in [0, 1), got ${beta1}`);
    if (!(beta2 >= 0 && beta2 < 1)) throw new AggregationError(`FedOpt: beta2 must be in [0, 1), got ${beta2}`);
    if (!(tau > 0)) throw new AggregationError(`FedOpt: tau must be > 0, got ${tau}`);
    this.params = { eta, beta1, beta2, tau };
  }

  override slotNames(): readonly string[] {
    return ['m', 'v'];
  }

  override initialSlot(slot: string, size: number): Float32Array {
    const { m, v } = initialMoments(size, this.params.tau);
    return slot === 'm' ? m : v;
  }

  override aggregateTensor(ctx: TensorContext): Float32Array {
    const mean = noisyWeightedMean(ctx);
    return serverOptimizerStep(this.optimizer, this.params, ctx.global, mean, ctx.slots.m!, ctx.slots.v!);
  }
}
