import { beforeAll, describe, expect, it } from 'vitest';
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { loadTf, type Tf } from './backend.ts';

let tf: Tf;
beforeAll(async () => {
  ({ tf } = await loadTf()); // registers the gradients
});

const maxAbs = (t: Tensor) => Math.max(...Array.from(t.dataSync(), Math.abs));

describe('second derivatives of output-saving ops (registered by loadTf)', () => {
  const x = () => tf.linspace(-2.5, 2.5, 41);
  const cases: [string, (t: Tensor) => Tensor, (t: Tensor) => Tensor][] = [
    ['Tanh', (t) => tf.tanh(t), (t) => tf.tidy(() => { const y = tf.tanh(t); return tf.mul(-2, tf.mul(y, tf.sub(1, tf.square(y)))); })],
    ['Sigmoid', (t) => tf.sigmoid(t), (t) => tf.tidy(() => { const s = tf.sigmoid(t); return tf.mul(tf.mul(s, tf.sub(1, s)), tf.sub(1, tf.mul(2, s))); })],
    ['Exp', (t) => tf.exp(t), (t) => tf.exp(t)],
  ];
  for (const [name, f, f2] of cases) {
    it(`${name}: d²/dx² via grad(grad(f)) equals the closed form`, () => {
      const second = tf.grad((t) => tf.grad((u) => tf.sum(f(u)))(t))(x());
      expect(maxAbs(tf.sub(second, f2(x())))).toBeLessThan(1e-5 * Math.max(1, maxAbs(f2(x()))));
    });
  }

  it('R1 through a conv + tanh: ∇_k ‖∇_x Σ tanh(conv(x, k))‖² matches central differences', () => {
    const x4 = tf.randomNormal([2, 6, 6, 3], 0, 0.5, 'float32', 11) as Tensor4D;
    const k = tf.variable(tf.randomNormal([3, 3, 3, 2], 0, 0.3, 'float32', 12));
    const r1 = () => tf.tidy(() => tf.sum(tf.square(tf.grad((img) => tf.sum(tf.tanh(tf.conv2d(img as Tensor4D, k as never, 1, 'same'))))(x4))) as never);
    const { grads } = tf.variableGrads(r1, [k]);
    const dir = tf.randomNormal(k.shape, 0, 1, 'float32', 13);
    const base = k.clone();
    const eps = 1e-3;
    k.assign(tf.add(base, tf.mul(dir, eps)));
    const plus = (r1() as Tensor).dataSync()[0]!;
    k.assign(tf.sub(base, tf.mul(dir, eps)));
    const minus = (r1() as Tensor).dataSync()[0]!;
    k.assign(base);
    const fd = (plus - minus) / (2 * eps);
    const analytic = tf.sum(tf.mul(grads[k.name]!, dir)).dataSync()[0]!;
    expect(Math.abs(analytic - fd)).toBeLessThan(1e-2 * Math.abs(fd));
  });
});

describe('MirrorPad gradient (registered by loadTf)', () => {
  for (const mode of ['reflect', 'symmetric'] as const) {
    it(`${mode}: the gradient is the adjoint of the padding (⟨∇⟨pad(x), w⟩, v⟩ = ⟨pad(v), w⟩)`, () => {
      const paddings: [number, number][] = [[0, 0], [2, 3], [3, 1], [0, 0]];
      const x = tf.randomNormal([2, 5, 6, 3], 0, 1, 'float32', 1);
      const v = tf.randomNormal([2, 5, 6, 3], 0, 1, 'float32', 2);
      const w = tf.randomNormal([2, 10, 10, 3], 0, 1, 'float32', 3);
      const g = tf.grad((t) => tf.sum(tf.mul(tf.mirrorPad(t, paddings, mode), w)))(x);
      const lhs = tf.sum(tf.mul(g, v)).dataSync()[0]!;
      const rhs = tf.sum(tf.mul(tf.mirrorPad(v, paddings, mode), w)).dataSync()[0]!;
      expect(Math.abs(lhs - rhs)).toBeLessThan(1e-4 * Math.max(1, Math.abs(rhs)));
    });
  }
});
