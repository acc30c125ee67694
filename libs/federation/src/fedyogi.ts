/**
 * FedYogi: FedOpt with Yogi's second moment v ← v − (1 − β2)·Δ²·sign(v − Δ²), which grows v more
 * gently than Adam when updates are sparse or noisy. Reddi et al., "Adaptive Federated
 * Optimization", ICLR 2021, arXiv:2003.00295 (Yogi: Zaheer et al., NeurIPS 2018).
 */
import { FedOpt } from './fedopt.ts';

export class FedYogi extends FedOpt {
  override readonly name: string = 'fedyogi';
  protected readonly optimizer = 'yogi' as const;
}
