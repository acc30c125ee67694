/**
 * Discriminator, 'resnet' architecture (Karras et al. 2020 §4.1; NVlabs `Discriminator`):
 * fromRGB at the top block only, residual blocks (conv, conv ↓2, 1×1 ↓2 skip, both × √0.5),
 * and the 4×4 epilogue (minibatch stddev, conv, FC, output). Conditional D projects the output
 * on a class map from its own mapping network: logit = Σ(out·cmap)/√cmap_dim. Layout NHWC.
 */
import { blockResolutions, channelsAt, type NetworkConfig } from './config.ts';
import { MappingNetwork } from './mapping.ts';
import { ConvLayer } from './ops/equalized-conv.ts';
import { FullyConnected } from './ops/equalized-linear.ts';
import { minibatchStddev } from './ops/minibatch-stddev.ts';
import { ParamSet } from './params.ts';
import { Rng } from './rng.ts';
import type { Tensor2D, Tensor4D, Tf } from './tf-types.ts';

/** D's conditioning map keeps the reference's default depth (8 layers), whatever G uses. */
const D_MAPPING_LAYERS = 8;

class DiscriminatorBlock {
  readonly fromrgb: ConvLayer | undefined;
  readonly conv0: ConvLayer;
  readonly conv1: ConvLayer;
  readonly skip: ConvLayer;

  constructor(tf: Tf, ps: ParamSet, readonly resolution: number, inChannels: number, tmpChannels: number, outChannels: number, cfg: NetworkConfig) {
    const name = `b${resolution}`;
    const clamp = cfg.convClamp;
    const c = clamp === undefined ? {} : { clamp };
    if (inChannels === 0) this.fromrgb = new ConvLayer(tf, ps, `${name}.fromrgb`, { inChannels: cfg.imgChannels, outChannels: tmpChannels, kernel: 1, act: cfg.activation, ...c });
    this.conv0 = new ConvLayer(tf, ps, `${name}.conv0`, { inChannels: tmpChannels, outChannels: tmpChannels, kernel: 3, act: cfg.activation, ...c });
    this.conv1 = new ConvLayer(tf, ps, `${name}.conv1`, { inChannels: tmpChannels, outChannels, kernel: 3, act: cfg.activation, down: 2, ...c });
    this.skip = new ConvLayer(tf, ps, `${name}.skip`, { inChannels: tmpChannels, outChannels, kernel: 1, bias: false, down: 2 });
  }

  apply(tf: Tf, x: Tensor4D | undefined, img: Tensor4D): Tensor4D {
    let h = x;
    if (this.fromrgb) h = this.fromrgb.apply(img);
    const y = this.skip.apply(h!, Math.SQRT1_2);
    h = this.conv0.apply(h!);
    h = this.conv1.apply(h, Math.SQRT1_2);
    return tf.add(y, h) as Tensor4D;
  }
}

export class Discriminator {
  readonly ps: ParamSet;
  readonly blocks: DiscriminatorBlock[] = [];
  readonly mapping: MappingNetwork | undefined;
  readonly epilogueConv: ConvLayer;
  readonly epilogueFc: FullyConnected;
  readonly out: FullyConnected;
  readonly cmapDim: number;

  constructor(
    private readonly tf: Tf,
    readonly cfg: NetworkConfig,
    seed: number,
  ) {
    this.ps = new ParamSet(tf, new Rng(seed));
    const resolutions = blockResolutions(cfg.resolution).reverse().filter((r) => r > 4);
    for (const res of resolutions) {
      const inChannels = res < cfg.resolution ? channelsAt(cfg, res) : 0;
      this.blocks.push(new DiscriminatorBlock(tf, this.ps, res, inChannels, channelsAt(cfg, res), channelsAt(cfg, res / 2), cfg));
    }
    const c4 = channelsAt(cfg, 4);
    this.cmapDim = cfg.cDim > 0 ? c4 : 0;
    if (cfg.cDim > 0) {
      this.mapping = new MappingNetwork(tf, this.ps, 'mapping', {
        zDim: 0,
        cDim: cfg.cDim,
        wDim: this.cmapDim,
        numWs: undefined,
        numLayers: D_MAPPING_LAYERS,
        lrMul: cfg.mappingLrMul,
        wAvgBeta: undefined,
        activation: cfg.activation,
      });
    }
    const clamp = cfg.convClamp === undefined ? {} : { clamp: cfg.convClamp };
    this.epilogueConv = new ConvLayer(tf, this.ps, 'b4.conv', { inChannels: c4 + 1, outChannels: c4, kernel: 3, act: cfg.activation, ...clamp });
    this.epilogueFc = new FullyConnected(tf, this.ps, 'b4.fc', { inFeatures: c4 * 16, outFeatures: c4, act: cfg.activation });
    this.out = new FullyConnected(tf, this.ps, 'b4.out', { inFeatures: c4, outFeatures: this.cmapDim > 0 ? this.cmapDim : 1 });
  }

  /** images [N, R, R, C] in [−1, 1], c one-hot [N, cDim] → logits [N, 1]. */
  apply(img: Tensor4D, c: Tensor2D | undefined): Tensor2D {
    const tf = this.tf;
    const cfg = this.cfg;
    const [n, h, w, ch] = img.shape;
    if (h !== cfg.resolution || w !== cfg.resolution || ch !== cfg.imgChannels) {
      throw new Error(`Error in Discriminator: images must be [N, ${cfg.resolution}, ${cfg.resolution}, ${cfg.imgChannels}], got [${img.shape}]`);
    }
    let x: Tensor4D | undefined;
    for (const block of this.blocks) x = block.apply(tf, x, img);

    // Epilogue at 4×4: [N,4,4,C4].
    const group = Math.min(cfg.mbstdGroup ?? 4, n);
    x = minibatchStddev(tf, x!, group, 1);
    x = this.epilogueConv.apply(x);
    let y = this.epilogueFc.apply(tf.reshape(x, [n, -1]) as Tensor2D);
    y = this.out.apply(y);
    if (this.mapping) {
      const cmap = this.mapping.apply(undefined, c) as Tensor2D;
      y = tf.mul(tf.sum(tf.mul(y, cmap), 1, true), 1 / Math.sqrt(this.cmapDim)) as Tensor2D;
    }
    return y;
  }
}
