/**
 * EfficientNet-Lite2 (the TF EfficientNet-Lite family, 2020) with ImageNet weights from
 * @dermagan/pretrained (`efficientnet-lite2`, provisioned by `npm run setup`).
 *
 * Lite = EfficientNet minus what mobile accelerators handle badly: ReLU6 instead of swish, no
 * squeeze-excitation, and a fixed stem (32 filters) and head (1280 features) that are not width-
 * scaled; the first and last stage are not depth-scaled either. The other stages are B0's table
 * scaled by width 1.1 and depth 1.2 (the same rounding as B2): 21 MBConv blocks, 4.87 M backbone
 * parameters. Convolutions use TensorFlow's 'same' padding, as the network was trained; batch norm
 * ε 1e-3, momentum 0.99. Stochastic depth on the identity skips, rate·b/blocks as in B2.
 *
 * Layer names follow Keras' EfficientNet (`stem_conv`, `block2a_expand_conv`, `top_bn`, …), like
 * efficientnet-b2.ts; {@link loadLite2ImageNet} maps the efficientnet-pytorch tensor names of the
 * weight file (`_conv_stem`, `_blocks.N._expand_conv`, `_bn1`, …) onto them.
 *
 * Heads: `task` (the study's head sized for 1280 features: dropout 0.3 → dense 1280→500
 * `embedding` → dense 500→1 `logit`), `features` (the 1280-d pooled backbone, a feature space),
 * `imagenet` (dropout → dense 1280→1000 `predictions`: the original classifier, for verification).
 */
import type { PretrainedWeights } from '@dermagan/pretrained';
import type { Tf } from '@dermagan/tf';
import { Rng } from '../rng.ts';
import { B0_STAGES, roundFilters, roundRepeats, type Stage } from './efficientnet-b2.ts';
import { EMBEDDING_LAYER, LOGIT_LAYER } from './names.ts';
import type { PretrainedReport } from './pretrained.ts';
import { seededDropoutClass } from './seeded-dropout.ts';

type Sym = import('@tensorflow/tfjs').SymbolicTensor;
type LayersModel = import('@tensorflow/tfjs').LayersModel;

/** The catalogue id of the ImageNet weights (libs/pretrained). */
export const LITE2_WEIGHTS_ID = 'efficientnet-lite2';
/** Compound-scaling coefficients of Lite2 (B2's); 260 is the resolution it was trained at. */
export const LITE2_SCALING = { width: 1.1, depth: 1.2, resolution: 260 } as const;
/** Input side when none is asked for (cheaper than 260; the dermoscopy images are resized to it). */
export const LITE2_DEFAULT_INPUT = 224;
/** Feature width at the top of the backbone (fixed in Lite: not width-scaled). */
export const LITE2_FEATURES = 1280;
const LITE2_STEM = 32;
export const EFFICIENTNET_LITE2_DEFAULTS = { dropConnectRate: 0.2, topDropout: 0.3, headUnits: 500 } as const;
/**
 * The input normalisation Lite2 was trained with (TF `efficientnet_lite_builder`: (x − 127) / 128
 * of 0–255 pixels), on [0, 1] pixels.
 */
export const LITE2_NORMALIZATION = { mean: [127 / 255, 127 / 255, 127 / 255], std: [128 / 255, 128 / 255, 128 / 255] } as const;

/** The head on top of the pooled 1280 features. */
export type Lite2Head = 'task' | 'features' | 'imagenet';

export interface EfficientNetLite2Options {
  /** Input side in pixels (default {@link LITE2_DEFAULT_INPUT}; 260 as trained). At least 32. */
  size: number;
  /** Seed of the initialisers (the head; the backbone's are overwritten by the ImageNet weights) and of the dropout masks. */
  seed: number;
  /** Stochastic-depth rate of the last block; 0 = off. */
  dropConnectRate?: number;
  /** Dropout before the head. */
  topDropout?: number;
  /** Units of the task head's first layer (the embedding). */
  headUnits?: number;
  /** Default `task`. */
  head?: Lite2Head;
}

/** One MBConv block: its Keras-style layer prefix, its efficientnet-pytorch module path, its shape. */
export interface Lite2Block {
  name: string;
  torch: string;
  kernel: number;
  stride: number;
  filtersIn: number;
  filtersOut: number;
  expand: number;
}

/** Lite2's 21 blocks in order: B0's stages, width/depth-scaled except the first and last stage's repeats and the stem's width. */
export function lite2Blocks(): Lite2Block[] {
  const blocks: Lite2Block[] = [];
  B0_STAGES.forEach((stage: Stage, i) => {
    const fixed = i === 0 || i === B0_STAGES.length - 1;
    const repeats = fixed ? stage.repeats : roundRepeats(stage.repeats, LITE2_SCALING.depth);
    const filtersOut = roundFilters(stage.filtersOut, LITE2_SCALING.width);
    for (let j = 0; j < repeats; j++) {
      const filtersIn = j > 0 ? filtersOut : i === 0 ? LITE2_STEM : roundFilters(stage.filtersIn, LITE2_SCALING.width);
      blocks.push({
        name: `block${i + 1}${String.fromCharCode(97 + j)}_`,
        torch: `_blocks.${blocks.length}.`,
        kernel: stage.kernel,
        stride: j === 0 ? stage.stride : 1,
        filtersIn,
        filtersOut,
        expand: stage.expand,
      });
    }
  });
  return blocks;
}

export function buildEfficientNetLite2(tf: Tf, options: EfficientNetLite2Options): LayersModel {
  if (!Number.isInteger(options.size) || options.size < 32) {
    throw new RangeError(`buildEfficientNetLite2: size must be an integer >= 32 (five stride-2 stages), got ${options.size}`);
  }
  const head = options.head ?? 'task';
  const dropConnectRate = options.dropConnectRate ?? EFFICIENTNET_LITE2_DEFAULTS.dropConnectRate;
  const rng = new Rng(options.seed);
  const Dropout = seededDropoutClass(tf);
  const convInit = () => tf.initializers.varianceScaling({ scale: 2, mode: 'fanOut', distribution: 'truncatedNormal', seed: rng.seed() });
  const denseInit = () => tf.initializers.varianceScaling({ scale: 1 / 3, mode: 'fanOut', distribution: 'uniform', seed: rng.seed() });
  const bn = (name: string) => tf.layers.batchNormalization({ axis: -1, momentum: 0.99, epsilon: 1e-3, name });
  const relu6 = (name: string) => tf.layers.activation({ activation: 'relu6', name });
  const conv = (filters: number, kernelSize: number, strides: number, name: string) =>
    tf.layers.conv2d({ filters, kernelSize, strides, padding: 'same', useBias: false, kernelInitializer: convInit(), name });

  const input = tf.input({ shape: [options.size, options.size, 3], name: 'image' });
  let x: Sym = conv(LITE2_STEM, 3, 2, 'stem_conv').apply(input) as Sym;
  x = bn('stem_bn').apply(x) as Sym;
  x = relu6('stem_activation').apply(x) as Sym;

  const blocks = lite2Blocks();
  blocks.forEach((block, b) => {
    const inputs = x;
    const filters = block.filtersIn * block.expand;
    if (block.expand !== 1) {
      x = conv(filters, 1, 1, `${block.name}expand_conv`).apply(x) as Sym;
      x = bn(`${block.name}expand_bn`).apply(x) as Sym;
      x = relu6(`${block.name}expand_activation`).apply(x) as Sym;
    }
    x = tf.layers
      .depthwiseConv2d({ kernelSize: block.kernel, strides: block.stride, padding: 'same', useBias: false, depthwiseInitializer: convInit(), name: `${block.name}dwconv` })
      .apply(x) as Sym;
    x = bn(`${block.name}bn`).apply(x) as Sym;
    x = relu6(`${block.name}activation`).apply(x) as Sym;
    x = conv(block.filtersOut, 1, 1, `${block.name}project_conv`).apply(x) as Sym;
    x = bn(`${block.name}project_bn`).apply(x) as Sym;
    if (block.stride === 1 && block.filtersIn === block.filtersOut) {
      const rate = (dropConnectRate * b) / blocks.length;
      if (rate > 0) x = new Dropout({ rate, seed: rng.seed(), perSample: true, name: `${block.name}drop` }).apply(x) as Sym;
      x = tf.layers.add({ name: `${block.name}add` }).apply([x, inputs]) as Sym;
    }
  });

  x = conv(LITE2_FEATURES, 1, 1, 'top_conv').apply(x) as Sym;
  x = bn('top_bn').apply(x) as Sym;
  x = relu6('top_activation').apply(x) as Sym;
  x = tf.layers.globalAveragePooling2d({ name: 'avg_pool' }).apply(x) as Sym;
  if (head === 'features') return tf.model({ inputs: input, outputs: x, name: 'efficientnet_lite2_features' });

  x = new Dropout({ rate: options.topDropout ?? EFFICIENTNET_LITE2_DEFAULTS.topDropout, seed: rng.seed(), name: 'top_dropout' }).apply(x) as Sym;
  if (head === 'imagenet') {
    const logits = tf.layers.dense({ units: 1000, kernelInitializer: denseInit(), name: 'predictions' }).apply(x) as Sym;
    return tf.model({ inputs: input, outputs: logits, name: 'efficientnet_lite2_imagenet' });
  }
  x = tf.layers.dense({ units: options.headUnits ?? EFFICIENTNET_LITE2_DEFAULTS.headUnits, kernelInitializer: denseInit(), name: EMBEDDING_LAYER }).apply(x) as Sym;
  const logit = tf.layers.dense({ units: 1, kernelInitializer: denseInit(), name: LOGIT_LAYER }).apply(x) as Sym;
  return tf.model({ inputs: input, outputs: logit, name: 'efficientnet_lite2' });
}

/** Layers of the task head (new, trained from their initialisers; trained alone during the warm-up). */
export const LITE2_HEAD_LAYERS = ['top_dropout', EMBEDDING_LAYER, LOGIT_LAYER] as const;

/** Keras-style layer → (efficientnet-pytorch module, kind) for every weight-carrying backbone layer. */
function torchModules(): Array<[string, string, 'conv' | 'depthwise' | 'bn' | 'dense']> {
  const out: Array<[string, string, 'conv' | 'depthwise' | 'bn' | 'dense']> = [
    ['stem_conv', '_conv_stem', 'conv'],
    ['stem_bn', '_bn0', 'bn'],
  ];
  for (const b of lite2Blocks()) {
    if (b.expand !== 1) out.push([`${b.name}expand_conv`, `${b.torch}_expand_conv`, 'conv'], [`${b.name}expand_bn`, `${b.torch}_bn0`, 'bn']);
    out.push(
      [`${b.name}dwconv`, `${b.torch}_depthwise_conv`, 'depthwise'],
      [`${b.name}bn`, `${b.torch}_bn1`, 'bn'],
      [`${b.name}project_conv`, `${b.torch}_project_conv`, 'conv'],
      [`${b.name}project_bn`, `${b.torch}_bn2`, 'bn'],
    );
  }
  out.push(['top_conv', '_conv_head', 'conv'], ['top_bn', '_bn1', 'bn'], ['predictions', '_fc', 'dense']);
  return out;
}

/**
 * Set the backbone (and, for the `imagenet` head, the 1000-class layer) from the ImageNet weights;
 * the task head keeps its initial values. Layouts: conv OIHW → HWIO, depthwise [C, 1, k, k] →
 * [k, k, C, 1], dense [out, in] → [in, out]; batch norm weight/bias/running_mean/running_var →
 * gamma/beta/moving_mean/moving_variance.
 */
export function loadLite2ImageNet(tf: Tf, model: LayersModel, weights: PretrainedWeights): PretrainedReport {
  const present = new Set(model.layers.map((l) => l.name));
  const used = new Set<string>();
  let loaded = 0;
  const take = (name: string) => {
    used.add(name);
    const t = weights.float32(name);
    return { data: t.data, shape: [...t.shape] };
  };
  for (const [layer, module, kind] of torchModules()) {
    if (!present.has(layer)) continue;
    const values = tf.tidy(() => {
      if (kind === 'bn') return ['weight', 'bias', 'running_mean', 'running_var'].map((p) => tf.tensor1d(take(`${module}.${p}`).data));
      const w = take(`${module}.weight`);
      const t = tf.tensor(w.data, w.shape);
      if (kind === 'conv') return [tf.transpose(t, [2, 3, 1, 0])];
      if (kind === 'depthwise') return [tf.transpose(t, [2, 3, 0, 1])];
      return [tf.transpose(t, [1, 0]), tf.tensor1d(take(`${module}.bias`).data)];
    });
    model.getLayer(layer).setWeights(values);
    loaded += values.length;
    tf.dispose(values);
  }
  const unused = weights.names.filter((n) => !used.has(n) && !n.endsWith('.num_batches_tracked'));
  return { uri: `pretrained:${weights.id}`, loaded, missing: [], unused, sha256: weights.sha256, source: weights.manifest.source.package };
}
