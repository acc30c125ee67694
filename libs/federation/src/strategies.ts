/**
 * Strategies by name (the `--strategy` flag and `federation.requested`'s `strategy.name`).
 */
import { AggregationError } from './aggregate.ts';
import { FedAdagrad } from './fedadagrad.ts';
import { FedAdam } from './fedadam.ts';
import { FedAvg } from './fedavg.ts';
import { FedAvgM } from './fedavgm.ts';
import { FedMedian } from './fedmedian.ts';
import { FedProx } from './fedprox.ts';
import { FedYogi } from './fedyogi.ts';
import { Krum } from './krum.ts';
import type { Strategy } from './strategy.ts';
import { TrimmedMean } from './trimmed-mean.ts';

/** Constructors keyed by strategy name; options are each class's options object. */
export const STRATEGIES = {
  fedavg: (o: ConstructorParameters<typeof FedAvg>[0]) => new FedAvg(o),
  fedavgm: (o: ConstructorParameters<typeof FedAvgM>[0]) => new FedAvgM(o),
  fedprox: (o: ConstructorParameters<typeof FedProx>[0]) => new FedProx(o),
  fedadam: (o: ConstructorParameters<typeof FedAdam>[0]) => new FedAdam(o),
  fedyogi: (o: ConstructorParameters<typeof FedYogi>[0]) => new FedYogi(o),
  fedadagrad: (o: ConstructorParameters<typeof FedAdagrad>[0]) => new FedAdagrad(o),
  fedmedian: (o: ConstructorParameters<typeof FedMedian>[0]) => new FedMedian(o),
  'trimmed-mean': (o: ConstructorParameters<typeof TrimmedMean>[0]) => new TrimmedMean(o),
  krum: (o: ConstructorParameters<typeof Krum>[0]) => new Krum(o),
} as const;
export type StrategyName = keyof typeof STRATEGIES;

/** Build a strategy by name; throws AggregationError listing the known names. */
export function createStrategy(name: string, options: Record<string, unknown> = {}): Strategy {
  const make = (STRATEGIES as Record<string, (o: Record<string, unknown>) => Strategy>)[name];
  if (!make) throw new AggregationError(`createStrategy: unknown strategy '${name}'; choose one of ${Object.keys(STRATEGIES).join(', ')}`);
  return make(options);
}
