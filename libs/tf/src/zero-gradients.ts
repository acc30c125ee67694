/**
 * Zero gradients for piecewise-constant kernels, registered for every backend.
 *
 * tfjs 4.22 registers a gradient for GreaterEqual but not for Greater, Less, LessEqual, Equal,
 * NotEqual or the logical ops. First-order backprop never reaches them, but second-order terms
 * do (R1 and path length differentiate a gradient: leaky ReLU's gradient uses Greater, Maximum's
 * uses Less, a gather's gradient uses GreaterEqual/Select): without a registered gradient tfjs
 * throws "gradient function not found". Their true derivative is zero almost everywhere.
 * An existing registration (tfjs's own, or another library's) is kept.
 */
import type { Tf } from './backend.ts';

/** Kernel name → its input names, in order. */
export const ZERO_GRADIENT_KERNELS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  Greater: ['a', 'b'],
  GreaterEqual: ['a', 'b'],
  Less: ['a', 'b'],
  LessEqual: ['a', 'b'],
  Equal: ['a', 'b'],
  NotEqual: ['a', 'b'],
  LogicalAnd: ['a', 'b'],
  LogicalOr: ['a', 'b'],
  LogicalNot: ['x'],
  IsNan: ['x'],
  IsFinite: ['x'],
  IsInf: ['x'],
});

const done = new WeakSet<object>();

/** Register the zero gradients on this tfjs instance (idempotent). */
export function registerZeroGradients(tf: Tf): void {
  if (done.has(tf)) return;
  done.add(tf);
  for (const [kernelName, inputs] of Object.entries(ZERO_GRADIENT_KERNELS)) {
    if (tf.getGradient(kernelName) != null) continue;
    tf.registerGradient({
      kernelName,
      inputsToSave: [...inputs],
      gradFunc: (_dy, saved) => Object.fromEntries(inputs.map((name, i) => [name, () => tf.zeros(saved[i]!.shape, 'float32')])),
    });
  }
}
