/**
 * Synthesis network, 'skip' architecture (Karras et al. 2020 §4.1; NVlabs `SynthesisNetwork`):
 * a learned 4×4 constant, then one block per resolution (conv0 ↑2, conv1, toRGB), the running
 * image upsampled with the FIR and summed with each block's toRGB.
 *
 * ws indexing (REFERENCE §2.4): b4 reads ws[0..1]; the block at resolution r reads the 3 ws from
 * 2·log2(r) − 5, so a block's toRGB shares its w with the next block's conv0. Layout NHWC.
 */
import { blockResolutions, channelsAt, numWs, type NetworkConfig } from './config.ts';
import { biasAct } from './ops/bias-act.ts';
import { FullyConnected } from './ops/equalized-linear.ts';
import { modulatedConv2d } from './ops/modulated-conv.ts';
import { upsample2d } from './ops/resample.ts';
import type { ParamSet } from './params.ts';
import type { Tensor2D, Tensor3D, Tensor4D, Tf, Variable } from './tf-types.ts';

/**
 * Per-pixel noise: fresh N(0,1) per call, the fixed `noise_const` buffers, none, or maps the
 * caller gives per image (`SynthesisCall.noise`: the projector optimises them).
 */
export type NoiseMode = 'random' | 'const' | 'none' | 'given';

/** Where 'random' noise comes from: an Rng, or one per sample (see generate.ts). */
export interface NormalSource {
  normal(n: number, scale?: number): Float32Array;
}

export interface SynthesisCall {
  /** Noise inputs (default 'random'). */
  noiseMode?: NoiseMode;
  /** Randomness for 'random' noise (required then). */
  rng?: NormalSource;
  /** Noise maps for 'given' noise, [N, r, r, 1] by the layer's buffer name (`b8.conv0.noise_const`, see `noiseInputs()`). */
  noise?: ReadonlyMap<string, Tensor4D>;
}

/** One noise input of the synthesis network: its buffer name and side. */
export interface NoiseInput {
  name: string;
  resolution: number;
}

/** A modulated 3×3 conv with noise, bias and lrelu (NVlabs `SynthesisLayer`). */
class SynthesisLayer {
  readonly affine: FullyConnected;
  readonly weight: Variable;
  readonly bias: Variable;
  readonly noiseStrength: Variable;
  readonly noiseConst: Variable;
  /** Name of the noise buffer (`<layer>.noise_const`), the key of given noise. */
  readonly noiseName: string;

  constructor(
    private readonly tf: Tf,
    ps: ParamSet,
    name: string,
    readonly inChannels: number,
    readonly outChannels: number,
    wDim: number,
    readonly resolution: number,
    readonly up: 1 | 2,
    readonly clamp: number | undefined,
    readonly act: 'lrelu' | 'smooth-lrelu',
  ) {
    this.affine = new FullyConnected(tf, ps, `${name}.affine`, { inFeatures: wDim, outFeatures: inChannels, biasInit: 1 });
    this.weight = ps.normal(`${name}.weight`, [3, 3, inChannels, outChannels]);
    this.bias = ps.constant(`${name}.bias`, [outChannels], 0);
    this.noiseStrength = ps.constant(`${name}.noise_strength`, [], 0);
    this.noiseName = `${name}.noise_const`;
    this.noiseConst = ps.buffer(this.noiseName, [resolution, resolution], ps.rng.normal(resolution * resolution));
  }

  apply(x: Tensor4D, w: Tensor2D, call: SynthesisCall): Tensor4D {
    const tf = this.tf;
    const n = x.shape[0];
    const r = this.resolution;
    const styles = this.affine.apply(w);
    let noise: Tensor4D | undefined;
    const mode = call.noiseMode ?? 'random';
    if (mode === 'random') {
      if (!call.rng) throw new Error('SynthesisLayer: noise mode "random" needs an rng');
      noise = tf.mul(tf.tensor4d(call.rng.normal(n * r * r), [n, r, r, 1]), this.noiseStrength) as Tensor4D;
    } else if (mode === 'const') {
      noise = tf.mul(tf.reshape(this.noiseConst, [1, r, r, 1]), this.noiseStrength) as Tensor4D;
    } else if (mode === 'given') {
      const given = call.noise?.get(this.noiseName);
      if (!given || given.shape[0] !== n || given.shape[1] !== r || given.shape[2] !== r || given.shape[3] !== 1) {
        throw new Error(`SynthesisLayer: noise mode "given" needs ${this.noiseName} as [${n}, ${r}, ${r}, 1], got [${given?.shape}]`);
      }
      noise = tf.mul(given, this.noiseStrength) as Tensor4D;
    }
    const y = modulatedConv2d(tf, x, this.weight as Tensor4D, styles, { demodulate: true, up: this.up, ...(noise ? { noise } : {}) });
    return biasAct(tf, y, this.bias, { act: this.act, ...(this.clamp !== undefined ? { clamp: this.clamp } : {}) });
  }
}

/** 1×1 modulated conv to RGB, no demodulation, styles × 1/√C_in (NVlabs `ToRGBLayer`). */
class ToRGBLayer {
  readonly affine: FullyConnected;
  readonly weight: Variable;
  readonly bias: Variable;
  readonly weightGain: number;

  constructor(
    private readonly tf: Tf,
    ps: ParamSet,
    name: string,
    inChannels: number,
    outChannels: number,
    wDim: number,
    readonly clamp: number | undefined,
  ) {
    this.affine = new FullyConnected(tf, ps, `${name}.affine`, { inFeatures: wDim, outFeatures: inChannels, biasInit: 1 });
    this.weight = ps.normal(`${name}.weight`, [1, 1, inChannels, outChannels]);
    this.bias = ps.constant(`${name}.bias`, [outChannels], 0);
    this.weightGain = 1 / Math.sqrt(inChannels);
  }

  apply(x: Tensor4D, w: Tensor2D): Tensor4D {
    const tf = this.tf;
    const styles = tf.mul(this.affine.apply(w), this.weightGain) as Tensor2D;
    const y = modulatedConv2d(tf, x, this.weight as Tensor4D, styles, { demodulate: false });
    return biasAct(tf, y, this.bias, this.clamp !== undefined ? { clamp: this.clamp } : {});
  }
}

/** One resolution: (const | conv0 ↑2), conv1, toRGB; skip connection on the image. */
class SynthesisBlock {
  readonly constInput: Variable | undefined;
  readonly conv0: SynthesisLayer | undefined;
  readonly conv1: SynthesisLayer;
  readonly torgb: ToRGBLayer;
  /** How many ws the block's convs consume (the toRGB reads one more). */
  readonly numConv: number;

  constructor(tf: Tf, ps: ParamSet, readonly resolution: number, inChannels: number, outChannels: number, cfg: NetworkConfig) {
    const name = `b${resolution}`;
    if (inChannels === 0) {
      this.constInput = ps.normal(`${name}.const`, [resolution, resolution, outChannels]);
    } else {
      this.conv0 = new SynthesisLayer(tf, ps, `${name}.conv0`, inChannels, outChannels, cfg.wDim, resolution, 2, cfg.convClamp, cfg.activation);
    }
    this.conv1 = new SynthesisLayer(tf, ps, `${name}.conv1`, outChannels, outChannels, cfg.wDim, resolution, 1, cfg.convClamp, cfg.activation);
    this.torgb = new ToRGBLayer(tf, ps, `${name}.torgb`, outChannels, cfg.imgChannels, cfg.wDim, cfg.convClamp);
    this.numConv = inChannels === 0 ? 1 : 2;
  }

  apply(tf: Tf, x: Tensor4D | undefined, img: Tensor4D | undefined, ws: Tensor2D[], call: SynthesisCall): [Tensor4D, Tensor4D] {
    const n = ws[0]!.shape[0];
    let h: Tensor4D;
    if (this.constInput) {
      h = tf.tile(tf.expandDims(this.constInput, 0), [n, 1, 1, 1]) as Tensor4D;
      h = this.conv1.apply(h, ws[0]!, call);
    } else {
      h = this.conv0!.apply(x!, ws[0]!, call);
      h = this.conv1.apply(h, ws[1]!, call);
    }
    const y = this.torgb.apply(h, ws[this.numConv]!);
    const out = img === undefined ? y : (tf.add(upsample2d(tf, img), y) as Tensor4D);
    return [h, out];
  }
}

export class SynthesisNetwork {
  readonly blocks: SynthesisBlock[] = [];
  readonly numWs: number;

  constructor(
    private readonly tf: Tf,
    ps: ParamSet,
    readonly cfg: NetworkConfig,
  ) {
    let inChannels = 0;
    for (const res of blockResolutions(cfg.resolution)) {
      const out = channelsAt(cfg, res);
      this.blocks.push(new SynthesisBlock(tf, ps, res, inChannels, out, cfg));
      inChannels = out;
    }
    this.numWs = numWs(cfg.resolution);
  }

  /** The noise inputs in layer order (NVlabs' `noise_const` buffers), for 'given' noise. */
  noiseInputs(): NoiseInput[] {
    return this.blocks.flatMap((b) => [b.conv0, b.conv1].filter((l): l is SynthesisLayer => l !== undefined).map((l) => ({ name: l.noiseName, resolution: l.resolution })));
  }

  /** ws [N, numWs, wDim] → images [N, res, res, imgChannels] (roughly in [−1, 1]). */
  apply(ws: Tensor3D, call: SynthesisCall = {}): Tensor4D {
    const tf = this.tf;
    const [n, k, d] = ws.shape;
    if (k !== this.numWs || d !== this.cfg.wDim) throw new Error(`Error in SynthesisNetwork: ws must be [N, ${this.numWs}, ${this.cfg.wDim}], got [${ws.shape}]`);
    const wList = tf.unstack(ws, 1) as Tensor2D[];
    let x: Tensor4D | undefined;
    let img: Tensor4D | undefined;
    let wIdx = 0;
    for (const block of this.blocks) {
      [x, img] = block.apply(tf, x, img, wList.slice(wIdx, wIdx + block.numConv + 1), call);
      wIdx += block.numConv;
    }
    const r = this.cfg.resolution;
    if (!img || img.shape[0] !== n || img.shape[1] !== r || img.shape[3] !== this.cfg.imgChannels) {
      throw new Error(`SynthesisNetwork: produced [${img?.shape}], expected [${n}, ${r}, ${r}, ${this.cfg.imgChannels}]`);
    }
    return img;
  }
}
