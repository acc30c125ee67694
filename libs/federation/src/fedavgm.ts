/**
 * FedAvgM: FedAvg with a server learning rate and server momentum. The mean update
 * Δ = mean − w_global is a pseudo-gradient; the server keeps a velocity v and steps
 *   v ← β·v + Δ;   w ← w_global + η·v
 * Hsu, Qi, Brown, "Measuring the Effects of Non-Identical Data Distribution for Federated Visual
 * Classification", 2019, arXiv:1909.06335 (server momentum); with β = 0 this is FedAvg with a
 * server learning rate η (Reddi et al. 2021, arXiv:2003.00295, §2). η = 1, β = 0 is FedAvg.
 *
 * Why it is here: T tenants that each take K local steps from the same model move it about as far
 * as one tenant would (their steps are averaged, not added), so at equal total iterations FedAvg
 * lags a central run. η > 1 extrapolates along the averaged — and less noisy — direction.
 * The velocity is model-sized server state, streamed like FedOpt's moments.
 */
import { AggregationError } from './aggregate.ts';
import { noisyWeightedMean, type TensorContext } from './aggregate-round.ts';
import type { StrategyOptions } from './base-strategy.ts';
import { FedAvg } from './fedavg.ts';

export interface FedAvgMOptions extends StrategyOptions {
  /** Server learning rate η > 0; default 1. */
  serverLr?: number;
  /** Server momentum β in [0, 1); default 0.9 (Hsu et al.). */
  serverMomentum?: number;
}

export class FedAvgM extends FedAvg {
  override readonly name: string = 'fedavgm';
  readonly serverLr: number;
  readonly serverMomentum: number;

  constructor(options: FedAvgMOptions = {}) {
    super(options);
    const { serverLr = 1, serverMomentum = 0.9 } = options;
    if (!(Number.isFinite(serverLr) && serverLr > 0)) throw new AggregationError(`FedAvgM: serverLr must be > 0, got ${serverLr}`);
    if (!(serverMomentum >= 0 && serverMomentum < 1)) throw new AggregationError(`FedAvgM: serverMomentum must be in [0, 1), got ${serverMomentum}`);
    this.serverLr = serverLr;
    this.serverMomentum = serverMomentum;
  }

  /** The velocity, only when there is momentum (β = 0 needs no state). */
  override slotNames(): readonly string[] {
    return this.serverMomentum > 0 ? ['velocity'] : [];
  }

  override aggregateTensor(ctx: TensorContext): Float32Array {
    const mean = noisyWeightedMean(ctx);
    const { global } = ctx;
    const velocity = ctx.slots.velocity;
    const out = new Float32Array(global.length);
    for (let i = 0; i < global.length; i++) {
      const delta = mean[i]! - global[i]!;
      const v = velocity ? this.serverMomentum * velocity[i]! + delta : delta;
      if (velocity) velocity[i] = v;
      out[i] = global[i]! + this.serverLr * v;
    }
    return out;
  }
}
