/**
 * The gradient of `DepthwiseConv2dNativeBackpropInput`, which tfjs 4.22 does not register.
 *
 * A depthwise conv's input gradient dx = B(dy, f) is bilinear in (dy, f); differentiating it again
 * (second-order terms: R1 or path length through a depthwise FIR filter) needs
 *   ∂⟨ddx, B(dy, f)⟩/∂dy = depthwiseConv2d(ddx, f)   and   ∂/∂f = BackpropFilter(x = ddx, dy).
 * Registered for every backend by loadTf(); an existing registration is kept.
 */
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import type { Tf } from './backend.ts';

const done = new WeakSet<object>();

export function registerDepthwiseInputGradient(tf: Tf): void {
  if (done.has(tf)) return;
  done.add(tf);
  if (tf.getGradient('DepthwiseConv2dNativeBackpropInput') != null) return;
  tf.registerGradient({
    kernelName: 'DepthwiseConv2dNativeBackpropInput',
    inputsToSave: ['dy', 'filter'],
    gradFunc: (ddx, saved, attrs) => {
      const [dy, filter] = saved as [Tensor4D, Tensor4D];
      const { strides, pad, dilations, dimRoundingMode } = attrs as unknown as {
        strides: [number, number];
        pad: 'valid' | 'same' | number;
        dilations: [number, number];
        dimRoundingMode?: 'floor' | 'round' | 'ceil';
      };
      return {
        dy: () => tf.depthwiseConv2d(ddx as Tensor4D, filter, strides, pad, 'NHWC', dilations, dimRoundingMode),
        filter: () =>
          tf.engine().runKernel(
            'DepthwiseConv2dNativeBackpropFilter',
            { x: ddx as Tensor, dy },
            { strides, pad, dilations, dimRoundingMode, filterShape: filter.shape } as never,
          ) as Tensor,
      };
    },
  });
}
