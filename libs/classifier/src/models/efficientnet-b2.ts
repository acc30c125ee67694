/**
 * EfficientNet-B2 (Tan & Le 2019, arXiv:1905.11946) with the study's head.
 *
 * Backbone: the B0 block table scaled by width 1.1 and depth 1.2 (filters rounded to multiples
 * of 8, repeats rounded up); MBConv blocks = 1×1 expansion, depthwise k×k, squeeze-excitation
 * (ratio 0.25 of the block's input filters), 1×1 projection, identity skip with stochastic depth
 * when shapes allow; swish everywhere; batch norm ε 1e-3, momentum 0.99. Layer and weight names
 * follow Keras' `EfficientNetB2` (`stem_conv`, `block2a_expand_conv`, `block2a_se_reduce`,
 * `top_bn`, …) so ImageNet weights converted from the published Keras file load by name
 * (scripts/convert-efficientnet-b2.py). Keras pads stride-2 convolutions explicitly with
 * `correct_pad`, which equals TensorFlow's 'same' padding for every input size, so 'same' is
 * used here and no padding layers exist (they hold no weights).
 *
 * Head (REFERENCE.md §7.1): dropout 0.3 → dense 1408→500 (`embedding`, no activation: the
 * study's replaced `_fc`) → dense 500→1 (`logit`). The loss takes the logit.
 */
import type { Tf } from '@dermagan/tf';
import { Rng } from '../rng.ts';
import { EMBEDDING_LAYER, LOGIT_LAYER } from './names.ts';
import { seededDropoutClass } from './seeded-dropout.ts';

type Sym = import('@tensorflow/tfjs').SymbolicTensor;

export interface EfficientNetB2Options {
  /** Input side in pixels (the study: 256; EfficientNet-B2's native size: 260). At least 32. */
  size: number;
  /** Seed of the weight initialisers and the dropout / stochastic-depth masks. */
  seed: number;
  /** Stochastic-depth rate of the last block (block b drops with rate·b/blocks); 0 = off. */
  dropConnectRate?: number;
  /** Dropout before the head (EfficientNet-B2's top dropout). */
  topDropout?: number;
  /** Units of the study's first head layer (the embedding). */
  headUnits?: number;
}

export const EFFICIENTNET_B2_DEFAULTS = { dropConnectRate: 0.2, topDropout: 0.3, headUnits: 500 } as const;

/** Compound-scaling coefficients of B2. */
export const B2_SCALING = { width: 1.1, depth: 1.2, resolution: 260 } as const;

/** One stage of the B0 table (before scaling). */
export interface Stage {
  kernel: number;
  repeats: number;
  filtersIn: number;
  filtersOut: number;
  expand: number;
  stride: number;
}

/** EfficientNet-B0's stages (Tan & Le 2019, table 1): every EfficientNet and EfficientNet-Lite scales these. */
export const B0_STAGES: readonly Stage[] = [
  { kernel: 3, repeats: 1, filtersIn: 32, filtersOut: 16, expand: 1, stride: 1 },
  { kernel: 3, repeats: 2, filtersIn: 16, filtersOut: 24, expand: 6, stride: 2 },
  { kernel: 5, repeats: 2, filtersIn: 24, filtersOut: 40, expand: 6, stride: 2 },
  { kernel: 3, repeats: 3, filtersIn: 40, filtersOut: 80, expand: 6, stride: 2 },
  { kernel: 5, repeats: 3, filtersIn: 80, filtersOut: 112, expand: 6, stride: 1 },
  { kernel: 5, repeats: 4, filtersIn: 112, filtersOut: 192, expand: 6, stride: 2 },
  { kernel: 3, repeats: 1, filtersIn: 192, filtersOut: 320, expand: 6, stride: 1 },
];
const SE_RATIO = 0.25;

/** Width scaling: filters·width rounded to the nearest multiple of 8, never more than 10 % down. */
export function roundFilters(filters: number, width = B2_SCALING.width, divisor = 8): number {
  const scaled = filters * width;
  let rounded = Math.max(divisor, Math.floor((scaled + divisor / 2) / divisor) * divisor);
  if (rounded < 0.9 * scaled) rounded += divisor;
  return rounded;
}

/** Depth scaling: repeats·depth rounded up. */
export function roundRepeats(repeats: number, depth = B2_SCALING.depth): number {
  return Math.ceil(depth * repeats);
}

/** Feature width at the top of the backbone (1280·1.1 = 1408 for B2). */
export const B2_FEATURES = roundFilters(1280);

export function buildEfficientNetB2(tf: Tf, options: EfficientNetB2Options) {
  if (!Number.isInteger(options.size) || options.size < 32) {
    throw new RangeError(`buildEfficientNetB2: size must be an integer >= 32 (five stride-2 stages), got ${options.size}`);
  }
  const dropConnectRate = options.dropConnectRate ?? EFFICIENTNET_B2_DEFAULTS.dropConnectRate;
  const rng = new Rng(options.seed);
  const Dropout = seededDropoutClass(tf);
  // Keras' EfficientNet initialisers: conv VarianceScaling(2, fan_out, truncated normal); dense VarianceScaling(1/3, fan_out, uniform).
  const convInit = () => tf.initializers.varianceScaling({ scale: 2, mode: 'fanOut', distribution: 'truncatedNormal', seed: rng.seed() });
  const denseInit = () => tf.initializers.varianceScaling({ scale: 1 / 3, mode: 'fanOut', distribution: 'uniform', seed: rng.seed() });
  const bn = (name: string) => tf.layers.batchNormalization({ axis: -1, momentum: 0.99, epsilon: 1e-3, name });
  const swish = (name: string) => tf.layers.activation({ activation: 'swish', name });
  const conv1x1 = (filters: number, name: string) =>
    tf.layers.conv2d({ filters, kernelSize: 1, padding: 'same', useBias: false, kernelInitializer: convInit(), name });

  // Stem: 3×3 stride-2 conv, BN, swish.
  const input = tf.input({ shape: [options.size, options.size, 3], name: 'image' });
  let x: Sym = tf.layers
    .conv2d({ filters: roundFilters(32), kernelSize: 3, strides: 2, padding: 'same', useBias: false, kernelInitializer: convInit(), name: 'stem_conv' })
    .apply(input) as Sym;
  x = bn('stem_bn').apply(x) as Sym;
  x = swish('stem_activation').apply(x) as Sym;

  // MBConv blocks.
  const totalBlocks = B0_STAGES.reduce((n, s) => n + roundRepeats(s.repeats), 0);
  let b = 0;
  B0_STAGES.forEach((stage, i) => {
    const repeats = roundRepeats(stage.repeats);
    for (let j = 0; j < repeats; j++) {
      const name = `block${i + 1}${String.fromCharCode(97 + j)}_`;
      const filtersIn = j === 0 ? roundFilters(stage.filtersIn) : roundFilters(stage.filtersOut);
      const filtersOut = roundFilters(stage.filtersOut);
      const stride = j === 0 ? stage.stride : 1;
      const inputs = x;
      const filters = filtersIn * stage.expand;
      // Expansion phase.
      if (stage.expand !== 1) {
        x = conv1x1(filters, `${name}expand_conv`).apply(x) as Sym;
        x = bn(`${name}expand_bn`).apply(x) as Sym;
        x = swish(`${name}expand_activation`).apply(x) as Sym;
      }
      // Depthwise convolution.
      x = tf.layers
        .depthwiseConv2d({ kernelSize: stage.kernel, strides: stride, padding: 'same', useBias: false, depthwiseInitializer: convInit(), name: `${name}dwconv` })
        .apply(x) as Sym;
      x = bn(`${name}bn`).apply(x) as Sym;
      x = swish(`${name}activation`).apply(x) as Sym;
      // Squeeze and excitation: channel gates from the pooled features.
      const filtersSe = Math.max(1, Math.floor(filtersIn * SE_RATIO));
      let se = tf.layers.globalAveragePooling2d({ name: `${name}se_squeeze` }).apply(x) as Sym;
      se = tf.layers.reshape({ targetShape: [1, 1, filters], name: `${name}se_reshape` }).apply(se) as Sym;
      se = tf.layers.conv2d({ filters: filtersSe, kernelSize: 1, padding: 'same', activation: 'swish', kernelInitializer: convInit(), name: `${name}se_reduce` }).apply(se) as Sym;
      se = tf.layers.conv2d({ filters, kernelSize: 1, padding: 'same', activation: 'sigmoid', kernelInitializer: convInit(), name: `${name}se_expand` }).apply(se) as Sym;
      x = tf.layers.multiply({ name: `${name}se_excite` }).apply([x, se]) as Sym;
      // Output phase: linear projection, then the identity skip with stochastic depth.
      x = conv1x1(filtersOut, `${name}project_conv`).apply(x) as Sym;
      x = bn(`${name}project_bn`).apply(x) as Sym;
      if (stride === 1 && filtersIn === filtersOut) {
        const rate = (dropConnectRate * b) / totalBlocks;
        if (rate > 0) x = new Dropout({ rate, seed: rng.seed(), perSample: true, name: `${name}drop` }).apply(x) as Sym;
        x = tf.layers.add({ name: `${name}add` }).apply([x, inputs]) as Sym;
      }
      b++;
    }
  });

  // Top: 1×1 conv to 1408, BN, swish, global average pool.
  x = conv1x1(B2_FEATURES, 'top_conv').apply(x) as Sym;
  x = bn('top_bn').apply(x) as Sym;
  x = swish('top_activation').apply(x) as Sym;
  x = tf.layers.globalAveragePooling2d({ name: 'avg_pool' }).apply(x) as Sym;

  // The study's head: dropout → 1408→500 → 500→1, no activation between.
  x = new Dropout({ rate: options.topDropout ?? EFFICIENTNET_B2_DEFAULTS.topDropout, seed: rng.seed(), name: 'top_dropout' }).apply(x) as Sym;
  x = tf.layers.dense({ units: options.headUnits ?? EFFICIENTNET_B2_DEFAULTS.headUnits, kernelInitializer: denseInit(), name: EMBEDDING_LAYER }).apply(x) as Sym;
  const logit = tf.layers.dense({ units: 1, kernelInitializer: denseInit(), name: LOGIT_LAYER }).apply(x) as Sym;
  return tf.model({ inputs: input, outputs: logit, name: 'efficientnet_b2' });
}

/** The study's head as a chain of layers on the pooled features (never loaded from ImageNet weights). */
export const B2_HEAD_LAYERS = ['top_dropout', EMBEDDING_LAYER, LOGIT_LAYER] as const;
