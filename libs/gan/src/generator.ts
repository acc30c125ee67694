/**
 * Generator = mapping + synthesis (NVlabs `Generator`), with its own parameter set so G and G_ema
 * are two instances with identical names.
 */
import { numWs, type NetworkConfig } from './config.ts';
import { MappingNetwork, type MappingCall } from './mapping.ts';
import { ParamSet } from './params.ts';
import { Rng } from './rng.ts';
import { SynthesisNetwork, type SynthesisCall } from './synthesis.ts';
import type { Tensor2D, Tensor3D, Tensor4D, Tf } from './tf-types.ts';

export class Generator {
  readonly ps: ParamSet;
  readonly mapping: MappingNetwork;
  readonly synthesis: SynthesisNetwork;

  /** Initialise with N(0,1) weights drawn from `seed` (deterministic per seed). */
  constructor(
    readonly tf: Tf,
    readonly cfg: NetworkConfig,
    seed: number,
  ) {
    this.ps = new ParamSet(tf, new Rng(seed));
    this.mapping = new MappingNetwork(tf, this.ps, 'mapping', {
      zDim: cfg.zDim,
      cDim: cfg.cDim,
      wDim: cfg.wDim,
      numWs: numWs(cfg.resolution),
      numLayers: cfg.mappingLayers,
      lrMul: cfg.mappingLrMul,
      wAvgBeta: cfg.wAvgBeta,
      activation: cfg.activation,
    });
    this.synthesis = new SynthesisNetwork(tf, this.ps, cfg);
  }

  get numWs(): number {
    return this.synthesis.numWs;
  }

  /** z [N, zDim], c one-hot [N, cDim] (undefined when unconditional) → images [N, R, R, C]. */
  apply(z: Tensor2D, c: Tensor2D | undefined, call: MappingCall & SynthesisCall = {}): Tensor4D {
    const ws = this.mapping.apply(z, c, call) as Tensor3D;
    return this.synthesis.apply(ws, call);
  }
}
