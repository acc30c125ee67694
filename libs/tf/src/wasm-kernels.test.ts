import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Tensor, Tensor1D, Tensor4D } from '@tensorflow/tfjs-core';
import { loadTf, type Tf } from './backend.ts';
import { runOnBackend } from './run-on-backend.ts';
import { conv2dBackpropFilter, depthwiseConv2dBackpropFilter, depthwiseConv2dBackpropInput, unsortedSegmentSum } from './wasm-kernels.ts';

let tf: Tf;
beforeAll(async () => {
  ({ tf } = await loadTf());
});

function maxAbsDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

type Pad = 'valid' | 'same' | number;
/** x shape, filter [kh, kw], strides, pad. */
const CONV_CASES: [[number, number, number, number], [number, number], [number, number], Pad][] = [
  [[2, 7, 7, 3], [3, 3], [1, 1], 'same'],
  [[2, 8, 8, 3], [3, 3], [2, 2], 'same'],
  [[1, 9, 6, 2], [4, 4], [2, 2], 'valid'],
  [[2, 6, 6, 4], [1, 1], [1, 1], 'valid'],
  [[1, 8, 20, 3], [1, 12], [1, 2], 'valid'],
  [[1, 5, 5, 2], [3, 3], [1, 1], 1],
];

describe('our wasm-fallback kernels, computed with ops, equal native TensorFlow kernels', () => {
  it('runs on native TF here (the reference side of the comparison)', async () => {
    const { info } = await loadTf();
    expect(info.name).toBe('tensorflow');
  });

  for (const [xs, [kh, kw], s, pad] of CONV_CASES) {
    it(`Conv2DBackpropFilter x=[${xs}] f=[${kh},${kw}] s=${s} p=${pad}`, () => {
      const co = 5;
      const x = tf.randomNormal(xs, 0, 1, 'float32', 1) as Tensor4D;
      const filterShape: [number, number, number, number] = [kh, kw, xs[3]!, co];
      // Native conv2d has no numeric padding: the reference pads explicitly and uses 'valid'.
      const xin = typeof pad === 'number' ? tf.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]]) : x;
      const padArg = typeof pad === 'number' ? 'valid' : pad;
      const y = tf.conv2d(xin, tf.zeros(filterShape) as Tensor4D, s, padArg);
      const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 2) as Tensor4D;
      const want = tf.engine().runKernel('Conv2DBackpropFilter', { x: xin, dy }, { strides: s, pad: padArg, dataFormat: 'NHWC', filterShape } as never) as Tensor;
      const got = conv2dBackpropFilter(tf, x, dy, filterShape, s, pad, undefined);
      expect(maxAbsDiff(got, want)).toBeLessThan(1e-4);
    });
  }

  /** A [kh, kw, C, M] filter dilated by d: taps d apart, zeros between (an independent route to dilation). */
  const dilate = (f: Tensor4D, d: number): Tensor4D => {
    const [kh, kw, c, m] = f.shape;
    const z = tf.pad(tf.reshape(f, [kh, 1, kw, 1, c, m]), [[0, 0], [0, d - 1], [0, 0], [0, d - 1], [0, 0], [0, 0]]);
    return tf.slice(tf.reshape(z, [kh * d, kw * d, c, m]), [0, 0, 0, 0], [(kh - 1) * d + 1, (kw - 1) * d + 1, c, m]) as Tensor4D;
  };

  for (const [xs, [kh, kw], s, pad] of CONV_CASES) {
    for (const dil of [1, 2] as const) {
      if (dil === 2 && (s[0] > 1 || s[1] > 1)) continue; // TF: dilation > 1 needs stride 1
      it(`DepthwiseConv2dNative backprop filter and input x=[${xs}] f=[${kh},${kw}] s=${s} p=${pad} d=${dil}`, () => {
        const m = 2;
        const x = tf.randomNormal(xs, 0, 1, 'float32', 3) as Tensor4D;
        const filter = tf.randomNormal([kh, kw, xs[3]!, m], 0, 1, 'float32', 4) as Tensor4D;
        const padArg = typeof pad === 'number' ? 'valid' : pad;
        const xin = typeof pad === 'number' ? tf.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]]) : x;
        const y = tf.depthwiseConv2d(xin, filter, s, padArg, 'NHWC', dil);
        const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 5) as Tensor4D;
        // Reference: native kernels at dilation 1 with the explicitly dilated filter.
        const fd = dilate(filter, dil);
        const attrs = { strides: s, pad: padArg, dilations: [1, 1] };
        const wantFd = tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: xin, dy }, { ...attrs, filterShape: fd.shape } as never) as Tensor4D;
        const wantF = tf.stridedSlice(wantFd, [0, 0, 0, 0], wantFd.shape, [dil, dil, 1, 1]);
        const wantX = tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: fd }, { ...attrs, inputShape: xin.shape } as never) as Tensor;
        expect(maxAbsDiff(depthwiseConv2dBackpropFilter(tf, xin, dy, filter.shape, s, padArg, undefined, [dil, dil]), wantF)).toBeLessThan(1e-4);
        expect(maxAbsDiff(depthwiseConv2dBackpropInput(tf, xin.shape, dy, filter, s, padArg, undefined, [dil, dil]), wantX)).toBeLessThan(1e-4);
      });
    }
  }

  it('UnsortedSegmentSum sums duplicate ids and drops negative ones, like native', () => {
    const x = tf.randomNormal([9, 3, 2], 0, 1, 'float32', 6);
    const ids = tf.tensor1d([0, 4, 4, -1, 2, 0, 4, -3, 1], 'int32') as Tensor1D;
    const want = tf.unsortedSegmentSum(x, ids, 6);
    const got = unsortedSegmentSum(tf, x, ids, 6);
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-6);
    expect(Array.from(tf.sum(got, [1, 2]).dataSync())[5]).toBe(0); // an empty segment is zero
  });
});

describe('a small conv net on the wasm fallback equals native TF (child processes)', () => {
  const probe = join(dirname(fileURLToPath(import.meta.url)), 'testing', 'conv-net-probe.ts');
  interface Probe {
    backend: string;
    fallback: boolean;
    forward: number[];
    dx: number[];
    grads: Record<string, number[]>;
    r1: Record<string, number[]>;
  }
  const close = (a: number[], b: number[], tol: number) => {
    expect(a.length).toBe(b.length);
    const worst = Math.max(...a.map((v, i) => Math.abs(v - b[i]!) / Math.max(1, Math.abs(b[i]!))));
    expect(worst).toBeLessThan(tol);
  };

  it('forward values, input and conv-weight gradients, and R1 second-order gradients agree within 1e-5', async () => {
    const [wasm, native] = await Promise.all([runOnBackend<Probe>('wasm', probe), runOnBackend<Probe>('tensorflow', probe)]);
    expect(wasm.result.backend).toBe('wasm');
    expect(wasm.result.fallback).toBe(false); // chosen explicitly, not a fallback
    expect(native.result.backend).toBe('tensorflow');
    close(wasm.result.forward, native.result.forward, 1e-5);
    close(wasm.result.dx, native.result.dx, 1e-5);
    expect(Object.keys(wasm.result.grads).sort()).toEqual(['w1', 'w2', 'w3']);
    for (const k of Object.keys(native.result.grads)) close(wasm.result.grads[k]!, native.result.grads[k]!, 1e-5);
    for (const k of Object.keys(native.result.r1)) close(wasm.result.r1[k]!, native.result.r1[k]!, 1e-5);
    // Not all zero: the comparison would be empty otherwise.
    expect(Math.max(...native.result.r1.w1!.map(Math.abs))).toBeGreaterThan(1e-3);
  });
});

describe('loadTf without native TensorFlow', () => {
  it('falls back to wasm, records fallback: true with the reason, and says so loudly on stderr', async () => {
    const dir = join(dirname(fileURLToPath(import.meta.url)), 'testing');
    const { result, stderr } = await runOnBackend<{ name: string; fallback: boolean; reason?: string }>(undefined, join(dir, 'backend-info.ts'), [], {
      nodeArgs: ['--require', join(dir, 'hide-native.cjs')],
    });
    expect(result.name).toBe('wasm');
    expect(result.fallback).toBe(true);
    expect(result.reason).toMatch(/tfjs-node/);
    expect(stderr).toMatch(/WARNING: native TensorFlow is not available/);
    expect(stderr).toMatch(/FALLING BACK to the wasm backend/);
  });
});
