/**
 * Mapping network (Karras et al. 2019 §2; NVlabs `MappingNetwork`): z (and the class embedding)
 * → w, with the running average w_avg and truncation. Also D's conditioning map (z_dim 0).
 */
import { FullyConnected } from './ops/equalized-linear.ts';
import type { ParamSet } from './params.ts';
import type { Tensor2D, Tensor3D, Tf, Variable } from './tf-types.ts';

export interface MappingOptions {
  /** Input latent dimensionality (0 = conditioning only, as D's cmap). */
  zDim: number;
  /** Number of classes (0 = unconditional). */
  cDim: number;
  /** Output w dimensionality. */
  wDim: number;
  /** Number of ws to broadcast to (undefined = return [N, wDim]). */
  numWs: number | undefined;
  /** Number of FC layers. */
  numLayers: number;
  /** Learning-rate multiplier of the FC layers. */
  lrMul: number;
  /** w_avg decay (undefined = no w_avg tracking). */
  wAvgBeta: number | undefined;
  /** Hidden activation (default 'lrelu'). */
  activation?: 'lrelu' | 'smooth-lrelu';
}

export interface MappingCall {
  /** Truncation ψ (1 = none). */
  psi?: number;
  /** Truncate only the first `cutoff` ws (undefined = all). */
  cutoff?: number;
  /** Update w_avg from this batch (training, not for style-mixing tails). */
  updateWAvg?: boolean;
}

/** z · rsqrt(mean(z²) + 1e-8) along the feature axis. */
export function normalize2ndMoment(tf: Tf, x: Tensor2D): Tensor2D {
  return tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), 1, true), 1e-8)));
}

export class MappingNetwork {
  readonly embed: FullyConnected | undefined;
  readonly layers: FullyConnected[] = [];
  readonly wAvg: Variable | undefined;

  constructor(
    private readonly tf: Tf,
    ps: ParamSet,
    readonly name: string,
    readonly options: MappingOptions,
  ) {
    const { zDim, cDim, wDim, numLayers, lrMul } = options;
    const embedFeatures = cDim > 0 ? wDim : 0;
    if (zDim + embedFeatures === 0) throw new Error(`MappingNetwork ${name}: needs a latent or a condition (zDim and cDim are both 0)`);
    if (cDim > 0) this.embed = new FullyConnected(tf, ps, `${name}.embed`, { inFeatures: cDim, outFeatures: embedFeatures });
    const features = [zDim + embedFeatures, ...Array<number>(numLayers - 1).fill(wDim), wDim];
    for (let i = 0; i < numLayers; i++) {
      this.layers.push(new FullyConnected(tf, ps, `${name}.fc${i}`, { inFeatures: features[i]!, outFeatures: features[i + 1]!, act: options.activation ?? 'lrelu', lrMul }));
    }
    if (options.wAvgBeta !== undefined) this.wAvg = ps.buffer(`${name}.w_avg`, [wDim], new Float32Array(wDim));
  }

  /** z [N, zDim] (or undefined when zDim 0), c one-hot [N, cDim] → ws [N, numWs, wDim] or w [N, wDim]. */
  apply(z: Tensor2D | undefined, c: Tensor2D | undefined, call: MappingCall = {}): Tensor3D | Tensor2D {
    const tf = this.tf;
    const o = this.options;
    const parts: Tensor2D[] = [];
    if (o.zDim > 0) {
      if (!z || z.rank !== 2 || z.shape[1] !== o.zDim) throw new Error(`Error in ${this.name}: z must be [N, ${o.zDim}], got [${z?.shape}]`);
      parts.push(normalize2ndMoment(tf, z));
    }
    if (o.cDim > 0) {
      if (!c || c.rank !== 2 || c.shape[1] !== o.cDim) throw new Error(`Error in ${this.name}: c must be [N, ${o.cDim}], got [${c?.shape}]`);
      parts.push(normalize2ndMoment(tf, this.embed!.apply(c)));
    }
    let x = parts.length === 1 ? parts[0]! : (tf.concat(parts, 1) as Tensor2D);
    for (const layer of this.layers) x = layer.apply(x);

    // Update moving average of W.
    if (call.updateWAvg && this.wAvg) {
      const beta = o.wAvgBeta!;
      const mean = tf.mean(x, 0); // no gradient reaches a buffer: assign is not recorded
      this.wAvg.assign(tf.add(mean, tf.mul(tf.sub(this.wAvg, mean), beta)));
    }
    if (o.numWs === undefined) return x;

    // Broadcast, then apply truncation.
    let ws = tf.tile(tf.expandDims(x, 1), [1, o.numWs, 1]) as Tensor3D;
    const psi = call.psi ?? 1;
    if (psi !== 1) {
      if (!this.wAvg) throw new Error(`Error in ${this.name}: truncation needs w_avg tracking`);
      const avg = tf.reshape(this.wAvg, [1, 1, o.wDim]);
      const truncated = tf.add(avg, tf.mul(tf.sub(ws, avg), psi)) as Tensor3D;
      const cutoff = call.cutoff ?? o.numWs;
      ws = cutoff >= o.numWs ? truncated : (tf.concat([truncated.slice([0, 0, 0], [-1, cutoff, -1]), ws.slice([0, cutoff, 0], [-1, -1, -1])], 1) as Tensor3D);
    }
    return ws;
  }
}
