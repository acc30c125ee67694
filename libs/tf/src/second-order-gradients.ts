/**
 * Gradient registrations that make second-order terms (R1, path length) correct in tfjs 4.22.
 *
 * 1. Output-saving gradients lose their second-order part. tfjs saves an op's output for the
 *    backward pass as a clone whose tape node comes *before* the op's own node; reverse-mode
 *    backprop therefore visits the op before the gradient reaching its saved output arrives, and
 *    that gradient is silently dropped. Tanh, Sigmoid and Exp (`outputsToSave`) are re-registered
 *    here to recompute the value from the saved input instead: d/dx f(x) = f'(x) with f'
 *    evaluated from x, which backprops correctly to any order.
 * 2. MirrorPad's registered gradient only crops dy, dropping what flowed into the reflected
 *    border; the replacement folds the border back onto the pixels it copied.
 *
 * Registered for every backend by loadTf(); these replace tfjs's own registrations (tfjs prints
 * no warning for that in production mode).
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { Tf } from './backend.ts';

const done = new WeakSet<object>();

/** MirrorPad's gradient: fold each padded border back (reversed) onto the pixels it mirrors. */
export function mirrorPadGradient(tf: Tf, dy: Tensor, paddings: [number, number][], mode: 'reflect' | 'symmetric'): Tensor {
  return tf.tidy(() => {
    const offset = mode === 'reflect' ? 1 : 0;
    let g = dy;
    paddings.forEach(([before, after], axis) => {
      if (before === 0 && after === 0) return;
      const n = g.shape[axis]! - before - after;
      const cut = (start: number, size: number): Tensor => {
        const begin = g.shape.map(() => 0);
        const sizes = [...g.shape];
        begin[axis] = start;
        sizes[axis] = size;
        return tf.slice(g, begin, sizes);
      };
      const place = (t: Tensor, lo: number): Tensor => {
        const pads = g.shape.map(() => [0, 0] as [number, number]);
        pads[axis] = [lo, n - lo - t.shape[axis]!];
        return tf.pad(t, pads);
      };
      const parts = [cut(before, n)];
      if (before > 0) parts.push(place(tf.reverse(cut(0, before), axis), offset));
      if (after > 0) parts.push(place(tf.reverse(cut(before + n, after), axis), n - offset - after));
      g = parts.length === 1 ? parts[0]! : tf.addN(parts);
    });
    return g;
  });
}

export function registerSecondOrderGradients(tf: Tf): void {
  if (done.has(tf)) return;
  done.add(tf);
  tf.registerGradient({
    kernelName: 'Tanh',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => tf.mul(dy as Tensor, tf.sub(1, tf.square(tf.tanh(saved[0]!)))) }),
  });
  tf.registerGradient({
    kernelName: 'Sigmoid',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({
      x: () => {
        const s = tf.sigmoid(saved[0]!);
        return tf.mul(dy as Tensor, tf.mul(s, tf.sub(1, s)));
      },
    }),
  });
  tf.registerGradient({
    kernelName: 'Exp',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => tf.mul(dy as Tensor, tf.exp(saved[0]!)) }),
  });
  tf.registerGradient({
    kernelName: 'MirrorPad',
    inputsToSave: ['x'],
    gradFunc: (dy, _saved, attrs) => {
      const { paddings, mode } = attrs as unknown as { paddings: [number, number][]; mode: 'reflect' | 'symmetric' };
      return { x: () => mirrorPadGradient(tf, dy as Tensor, paddings, mode) };
    },
  });
}
