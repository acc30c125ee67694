/**
 * Gradients tfjs 4.22 does not register but StyleGAN2's second-order terms need (NATIVE-TF.md):
 * - comparison / logical ops (`Greater` in leaky ReLU's gradient, `LessEqual`/`LogicalAnd` in
 *   clamp's) are piecewise constant: their gradient is zero. R1 and path length differentiate a
 *   gradient, so backprop reaches these ops and fails without it;
 * - `DepthwiseConv2dNativeBackpropInput`, the gradient of the FIR filter (a depthwise conv): its own
 *   gradient with respect to `dy` is the forward depthwise conv. (The FIR taps are constants, so the
 *   filter input never needs a gradient.)
 * Registered once per tfjs instance; an existing registration (another library's) is kept.
 */
import type { Tf } from '../tf-types.ts';
import type { Tensor, Tensor4D } from '../tf-types.ts';

/** Piecewise-constant kernels and their input names. */
const ZERO_GRAD_KERNELS: Record<string, string[]> = {
  Greater: ['a', 'b'],
  Less: ['a', 'b'],
  LessEqual: ['a', 'b'],
  Equal: ['a', 'b'],
  NotEqual: ['a', 'b'],
  LogicalAnd: ['a', 'b'],
  LogicalOr: ['a', 'b'],
  LogicalNot: ['x'],
  IsNan: ['x'],
  IsFinite: ['x'],
};

const done = new WeakSet<object>();

export function registerEngineGradients(tf: Tf): void {
  if (done.has(tf)) return;
  done.add(tf);
  for (const [kernelName, inputs] of Object.entries(ZERO_GRAD_KERNELS)) {
    if (tf.getGradient(kernelName) != null) continue;
    tf.registerGradient({
      kernelName,
      inputsToSave: inputs,
      gradFunc: (_dy: Tensor | Tensor[], saved: Tensor[]) =>
        Object.fromEntries(inputs.map((name, i) => [name, () => tf.zeros(saved[i]!.shape, 'float32')])),
    });
  }
  if (tf.getGradient('DepthwiseConv2dNativeBackpropInput') == null) {
    tf.registerGradient({
      kernelName: 'DepthwiseConv2dNativeBackpropInput',
      inputsToSave: ['dy', 'filter'],
      gradFunc: (ddx: Tensor | Tensor[], saved: Tensor[], attrs) => {
        const { strides, pad, dilations } = attrs as unknown as {
          strides: [number, number];
          pad: 'valid' | 'same' | number;
          dilations: [number, number];
        };
        const filter = saved[1] as Tensor4D;
        return { dy: () => tf.depthwiseConv2d(ddx as Tensor4D, filter, strides, pad, 'NHWC', dilations) };
      },
    });
  }
}
