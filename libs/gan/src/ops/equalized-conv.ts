/**
 * 2-D convolution layer with equalised learning rate and optional FIR ×2 down/up-sampling
 * (NVlabs `Conv2dLayer` over `conv2d_resample`). Layout NHWC, weights [k, k, in, out] stored
 * N(0,1) and scaled at run time by 1/√(in·k²).
 *
 * Down (k = 3): pad 2, FIR, conv stride 2 ('valid'). Down (k = 1): FIR stride 2, then the 1×1 conv.
 * Up (k = 3): transposed conv stride 2 ('valid', 2H+1), then FIR with pad 1 and gain 4.
 */
import type { ParamSet } from '../params.ts';
import type { Tensor4D, Tf, Variable } from '../tf-types.ts';
import { biasAct, type Activation } from './bias-act.ts';
import { downsample2d, filter2d } from './resample.ts';

export interface ConvLayerOptions {
  /** Input channels. */
  inChannels: number;
  /** Output channels. */
  outChannels: number;
  /** Kernel size (1 or 3). */
  kernel: number;
  /** Activation (default 'linear'). */
  act?: Activation;
  /** Whether the layer has a bias (default true). */
  bias?: boolean;
  /** 2 = FIR ×2 upsampling (default 1). */
  up?: 1 | 2;
  /** 2 = FIR ×2 downsampling (default 1). */
  down?: 1 | 2;
  /** Clamp of the activation output (undefined = none). */
  clamp?: number;
}

export class ConvLayer {
  readonly weight: Variable;
  readonly bias: Variable | undefined;
  readonly weightGain: number;

  constructor(
    private readonly tf: Tf,
    ps: ParamSet,
    name: string,
    readonly options: ConvLayerOptions,
  ) {
    const { inChannels, outChannels, kernel } = options;
    this.weight = ps.normal(`${name}.weight`, [kernel, kernel, inChannels, outChannels]);
    this.bias = options.bias === false ? undefined : ps.constant(`${name}.bias`, [outChannels], 0);
    this.weightGain = 1 / Math.sqrt(inChannels * kernel * kernel);
  }

  /** [N,H,W,in] → [N,H',W',out]; `gain` multiplies the output (and the clamp), as NVlabs. */
  apply(x: Tensor4D, gain = 1): Tensor4D {
    const tf = this.tf;
    const o = this.options;
    if (x.rank !== 4 || x.shape[3] !== o.inChannels) {
      throw new Error(`Error in ConvLayer: x must be [N,H,W,${o.inChannels}], got [${x.shape}]`);
    }
    const w = tf.mul(this.weight, this.weightGain) as Tensor4D;
    const y = conv2dResample(tf, x, w, o.up ?? 1, o.down ?? 1);
    const clamp = o.clamp === undefined ? undefined : o.clamp * gain;
    return biasAct(tf, y, this.bias, { act: o.act ?? 'linear', gain, clamp });
  }
}

/**
 * Convolution with optional FIR up/down-sampling, 'same' geometry (padding k/2 with respect to the
 * up-sampled image), as `conv2d_resample` with padding = k // 2. Weights [k, k, in, out].
 */
export function conv2dResample(tf: Tf, x: Tensor4D, w: Tensor4D, up: 1 | 2, down: 1 | 2): Tensor4D {
  const k = w.shape[0];
  if (up === 2 && down === 2) throw new Error('Error in conv2dResample: up and down at once is not supported');
  if (down === 2) {
    if (k === 1) return tf.conv2d(downsample2d(tf, x), w, 1, 'valid');
    return tf.conv2d(filter2d(tf, x, (k - 1) / 2 + 1), w, 2, 'valid');
  }
  if (up === 2) {
    const [n, h, wd] = x.shape;
    const wt = tf.transpose(w, [0, 1, 3, 2]) as Tensor4D; // [k,k,out,in] as conv2dTranspose wants
    const t = tf.conv2dTranspose(x, wt, [n, 2 * h + k - 2, 2 * wd + k - 2, w.shape[3]], 2, 'valid');
    return filter2d(tf, t, (k - 1) / 2, 4);
  }
  return tf.conv2d(x, w, 1, 'same');
}
