/**
 * FedMedian: the coordinate-wise median of the tenants' models (unweighted), robust to a minority
 * of arbitrary updates. Yin, Chen, Ramchandran, Bartlett, "Byzantine-Robust Distributed Learning:
 * Towards Optimal Statistical Rates", ICML 2018, arXiv:1803.01498.
 */
import { coordinateMedian } from './aggregate.ts';
import type { TensorContext } from './aggregate-round.ts';
import { BaseStrategy, type StrategyOptions } from './base-strategy.ts';

export class FedMedian extends BaseStrategy {
  readonly name: string = 'fedmedian';

  constructor(options: StrategyOptions = {}) {
    super(options);
    this.checkDpSupport();
  }

  aggregateTensor(ctx: TensorContext): Float32Array {
    return coordinateMedian(ctx.values);
  }
}
