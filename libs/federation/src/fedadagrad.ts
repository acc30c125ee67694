/**
 * FedAdagrad: FedOpt with Adagrad's second moment v ← v + Δ². Reddi et al., "Adaptive Federated
 * Optimization", ICLR 2021, arXiv:2003.00295.
 */
import { FedOpt } from './fedopt.ts';

export class FedAdagrad extends FedOpt {
  override readonly name: string = 'fedadagrad';
  protected readonly optimizer = 'adagrad' as const;
}
