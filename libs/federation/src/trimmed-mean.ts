/**
 * Trimmed mean: per coordinate, drop the ⌊β·m⌋ largest and smallest of the m tenants' values and
 * average the rest (unweighted). Yin, Chen, Ramchandran, Bartlett, "Byzantine-Robust Distributed
 * Learning: Towards Optimal Statistical Rates", ICML 2018, arXiv:1803.01498.
 * With the study's three tenants, β < 1/3 trims nothing; β in [1/3, 0.5) keeps the median.
 */
import { AggregationError, trimmedMean } from './aggregate.ts';
import type { TensorContext } from './aggregate-round.ts';
import { BaseStrategy, type StrategyOptions } from './base-strategy.ts';

export interface TrimmedMeanOptions extends StrategyOptions {
  /** β: the fraction trimmed at each end, in [0, 0.5); default 0.1. */
  beta?: number;
}

export class TrimmedMean extends BaseStrategy {
  readonly name: string = 'trimmed-mean';
  readonly beta: number;

  constructor(options: TrimmedMeanOptions = {}) {
    super(options);
    const { beta = 0.1 } = options;
    if (!(beta >= 0 && beta < 0.5)) throw new AggregationError(`TrimmedMean: beta must be in [0, 0.5), got ${beta}`);
    this.beta = beta;
    this.checkDpSupport();
  }

  aggregateTensor(ctx: TensorContext): Float32Array {
    return trimmedMean(ctx.values, this.beta);
  }
}
