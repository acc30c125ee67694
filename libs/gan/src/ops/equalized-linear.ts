/**
 * Fully connected layer with equalised learning rate: weights stored N(0,1)/lr_mul and scaled at
 * run time by lr_mul/√fan_in; bias stored as `biasInit` and scaled by lr_mul (NVlabs
 * `FullyConnectedLayer`). Weight layout [in, out].
 */
import type { ParamSet } from '../params.ts';
import type { Tensor2D, Tf, Variable } from '../tf-types.ts';
import { biasAct, type Activation } from './bias-act.ts';

export interface FullyConnectedOptions {
  /** Input features. */
  inFeatures: number;
  /** Output features. */
  outFeatures: number;
  /** Activation after the bias (default 'linear'). */
  act?: Activation;
  /** Learning-rate multiplier (0.01 in the mapping networks; default 1). */
  lrMul?: number;
  /** Initial bias value (1 for style affines; default 0). */
  biasInit?: number;
  /** Whether the layer has a bias (default true). */
  bias?: boolean;
}

export class FullyConnected {
  readonly weight: Variable;
  readonly bias: Variable | undefined;
  readonly weightGain: number;
  readonly biasGain: number;
  readonly act: Activation;

  constructor(
    private readonly tf: Tf,
    ps: ParamSet,
    name: string,
    readonly options: FullyConnectedOptions,
  ) {
    const lrMul = options.lrMul ?? 1;
    this.act = options.act ?? 'linear';
    this.weight = ps.normal(`${name}.weight`, [options.inFeatures, options.outFeatures], 1 / lrMul);
    this.bias = options.bias === false ? undefined : ps.constant(`${name}.bias`, [options.outFeatures], options.biasInit ?? 0);
    this.weightGain = lrMul / Math.sqrt(options.inFeatures);
    this.biasGain = lrMul;
  }

  /** [N, in] → [N, out]. */
  apply(x: Tensor2D): Tensor2D {
    const tf = this.tf;
    if (x.rank !== 2 || x.shape[1] !== this.options.inFeatures) {
      throw new Error(`Error in FullyConnected: x must be [N, ${this.options.inFeatures}], got [${x.shape}]`);
    }
    const y = tf.matMul(x, tf.mul(this.weight, this.weightGain) as Tensor2D);
    const b = this.bias === undefined ? undefined : this.biasGain === 1 ? this.bias : tf.mul(this.bias, this.biasGain);
    return biasAct(tf, y, b, { act: this.act }) as Tensor2D;
  }
}
