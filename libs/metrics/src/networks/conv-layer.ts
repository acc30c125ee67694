/**
 * One convolution + bias + ReLU as a single fused native op (`tf.fused.conv2d`: one dispatch,
 * oneDNN's fused kernel), and the weight layout conversions the networks share.
 */
import type { Tensor1D, Tensor4D } from '@tensorflow/tfjs-core';
import type { Tf } from '@dermagan/tf';
import { MetricInputError } from '../features-matrix.ts';

export interface ConvLayer {
  /** HWIO filter. */
  filter: Tensor4D;
  bias: Tensor1D;
  stride: number;
  pad: 'same' | 'valid';
}

/** torch OIHW → tfjs HWIO, as a plain array (so several filters can be joined before upload). */
export function oihwToHwio(w: Float32Array, shape: readonly [number, number, number, number]): Float32Array {
  const [o, i, h, k] = shape;
  const out = new Float32Array(w.length);
  for (let a = 0; a < o; a++)
    for (let b = 0; b < i; b++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < k; x++) out[((y * k + x) * i + b) * o + a] = w[((a * i + b) * h + y) * k + x]!;
  return out;
}

/**
 * tfjs padding for a torch padding: 0 → 'valid'; (k − 1)/2 on each axis at stride 1 → 'same'
 * (the same zero padding). Other combinations do not occur in these networks and are refused.
 */
export function tfPadding(kernel: readonly [number, number], stride: number, padding: number | readonly number[], what: string): 'same' | 'valid' {
  const [ph, pw] = typeof padding === 'number' ? [padding, padding] : [padding[0]!, padding[1]!];
  if (ph === 0 && pw === 0) return 'valid';
  if (stride === 1 && ph === (kernel[0] - 1) / 2 && pw === (kernel[1] - 1) / 2) return 'same';
  throw new MetricInputError(`${what}: torch padding [${ph}, ${pw}] for a ${kernel[0]}×${kernel[1]} kernel at stride ${stride} has no tfjs equivalent here`);
}

/** relu(conv(x) + bias), one op. */
export function convRelu(tf: Tf, x: Tensor4D, layer: ConvLayer): Tensor4D {
  return tf.fused.conv2d({ x, filter: layer.filter, strides: layer.stride, pad: layer.pad, bias: layer.bias, activation: 'relu' });
}
