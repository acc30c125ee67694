/**
 * FedAdam: FedOpt with Adam's second moment v ← β2·v + (1 − β2)·Δ². Reddi et al., "Adaptive
 * Federated Optimization", ICLR 2021, arXiv:2003.00295.
 */
import { FedOpt } from './fedopt.ts';

export class FedAdam extends FedOpt {
  override readonly name: string = 'fedadam';
  protected readonly optimizer = 'adam' as const;
}
