/**
 * FedAvg: the new global model is the mean of the tenants' models weighted by samples seen.
 * McMahan, Moore, Ramage, Hampson, Agüera y Arcas, "Communication-Efficient Learning of Deep
 * Networks from Decentralized Data", AISTATS 2017, arXiv:1602.05629. The study's rule (G, D and
 * G_ema averaged every K = 100 iterations). With `dp`, this is DP-FedAvg (dp.ts).
 */
import { noisyWeightedMean, type TensorContext } from './aggregate-round.ts';
import { BaseStrategy, type StrategyOptions } from './base-strategy.ts';

export class FedAvg extends BaseStrategy {
  readonly name: string = 'fedavg';
  protected override readonly supportsDp: boolean = true;
  override readonly supportsSecureAggregation: boolean = true;

  constructor(options: StrategyOptions = {}) {
    super(options);
    this.checkDpSupport();
  }

  aggregateTensor(ctx: TensorContext): Float32Array {
    return noisyWeightedMean(ctx);
  }
}
