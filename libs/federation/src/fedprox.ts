/**
 * FedProx: tenants minimise their loss plus a proximal term μ/2·‖w − w_global‖² that keeps local
 * training near the round's global model (useful when tenants' data differ, as the study's three
 * hospitals do); the server side is FedAvg. Li, Sahu, Zaheer, Sanjabi, Talwalkar, Smith,
 * "Federated Optimization in Heterogeneous Networks", MLSys 2020, arXiv:1812.06127.
 *
 * The tenant side is the two pure functions below; the engine adds the term to G's and D's losses
 * (or, equivalently, adds the gradient μ·(w − w_global) to each parameter's gradient).
 */
import { AggregationError } from './aggregate.ts';
import type { StrategyOptions } from './base-strategy.ts';
import { FedAvg } from './fedavg.ts';
import type { TenantRoundConfig } from './strategy.ts';

/** μ/2 · Σ_i (w_i − g_i)², in float64. */
export function proximalTerm(w: Float32Array, wGlobal: Float32Array, mu: number): number {
  if (w.length !== wGlobal.length) throw new AggregationError(`proximalTerm: lengths ${w.length} and ${wGlobal.length} differ`);
  let s = 0;
  for (let i = 0; i < w.length; i++) {
    const d = w[i]! - wGlobal[i]!;
    s += d * d;
  }
  return (mu / 2) * s;
}

/** ∂/∂w of the proximal term: μ · (w − w_global). */
export function proximalGradient(w: Float32Array, wGlobal: Float32Array, mu: number): Float32Array {
  if (w.length !== wGlobal.length) throw new AggregationError(`proximalGradient: lengths ${w.length} and ${wGlobal.length} differ`);
  const out = new Float32Array(w.length);
  for (let i = 0; i < w.length; i++) out[i] = mu * (w[i]! - wGlobal[i]!);
  return out;
}

export interface FedProxOptions extends StrategyOptions {
  /** μ >= 0, the proximal weight tenants apply; default 0.01. 0 is plain FedAvg. */
  proximalMu?: number;
}

export class FedProx extends FedAvg {
  override readonly name: string = 'fedprox';
  readonly proximalMu: number;

  constructor(options: FedProxOptions = {}) {
    super(options);
    const { proximalMu = 0.01 } = options;
    if (!(Number.isFinite(proximalMu) && proximalMu >= 0)) throw new AggregationError(`FedProx: proximalMu must be >= 0, got ${proximalMu}`);
    this.proximalMu = proximalMu;
  }

  protected override tenantConfig(): Omit<TenantRoundConfig, 'ganStatePolicy'> {
    return { proximalMu: this.proximalMu };
  }
}
