/**
 * StyleGAN2 ops against PyTorch reference values (libs/gan/fixtures/make_ops.py → ops.json).
 * Fixtures are NCHW with torch weight layouts; the engine is NHWC with [k,k,in,out] weights, so
 * every case also checks the layout conversion.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTf } from '@dermagan/tf';
import type { Tensor, Tensor2D, Tensor4D, Tf } from '../tf-types.ts';
import { biasAct } from './bias-act.ts';
import { conv2dResample } from './equalized-conv.ts';
import { minibatchStddev } from './minibatch-stddev.ts';
import { modulatedConv2d } from './modulated-conv.ts';
import { downsample2d, fir2d, upsample2d } from './resample.ts';

interface Arr {
  shape: number[];
  data: number[];
}
interface Case {
  x: Arr;
  y: Arr;
  w: Arr;
  s: Arr;
  b: Arr;
  noise?: Arr;
  up: 1 | 2;
  demodulate: boolean;
  gain: number;
  clamp: number;
  group: number;
}
const fx = JSON.parse(readFileSync(new URL('../../fixtures/ops.json', import.meta.url), 'utf8')) as Record<string, Case>;

let tf: Tf;
beforeAll(async () => {
  tf = (await loadTf()).tf;
});

/** NCHW fixture → NHWC tensor. */
const nhwc = (a: Arr) => tf.transpose(tf.tensor(a.data, a.shape, 'float32'), [0, 2, 3, 1]) as unknown as Tensor4D;
/** torch [out,in,kh,kw] → [kh,kw,in,out]. */
const hwio = (a: Arr) => tf.transpose(tf.tensor(a.data, a.shape, 'float32'), [2, 3, 1, 0]) as unknown as Tensor4D;

function expectClose(actual: Tensor, expected: Arr, tol = 1e-4): void {
  expect(actual.shape).toEqual(expected.shape);
  const got = actual.dataSync();
  let worst = 0;
  expected.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(got[i]! - v) / (1 + Math.abs(v)))));
  expect(worst).toBeLessThan(tol);
}
const toNCHW = (t: Tensor) => tf.transpose(t, [0, 3, 1, 2]);

describe('resample', () => {
  it('fir2d([1,3,3,1]) is the normalised outer product', () => {
    const f = fir2d([1, 3, 3, 1], 4);
    expect(f.reduce((a, b) => a + b, 0)).toBeCloseTo(4, 6);
    expect(f[5]).toBeCloseTo((9 / 64) * 4, 7);
  });
  it('upsample2d x=[2,5,5,3] matches upfirdn2d(up=2, pad=[2,1], gain 4)', () => {
    const c = fx.upsample2d!;
    expectClose(toNCHW(upsample2d(tf, nhwc(c.x))), c.y);
  });
  it('upsample2d with many channels (zero-insert path) matches the diagonal path', () => {
    const x = tf.randomNormal([1, 3, 3, 9], 0, 1, 'float32', 7) as Tensor4D;
    const many = upsample2d(tf, x);
    const few = tf.concat([upsample2d(tf, x.slice([0, 0, 0, 0], [1, 3, 3, 5])), upsample2d(tf, x.slice([0, 0, 0, 5], [1, 3, 3, 4]))], 3);
    expect(many.shape).toEqual([1, 6, 6, 9]);
    expect(tf.max(tf.abs(tf.sub(many, few))).dataSync()[0]).toBeLessThan(1e-5);
  });
  it('downsample2d x=[2,8,8,4] matches upfirdn2d(down=2, pad=[1,1])', () => {
    const c = fx.downsample2d!;
    expectClose(toNCHW(downsample2d(tf, nhwc(c.x))), c.y);
  });
  it('throws when x is not rank 4', () => {
    expect(() => upsample2d(tf, tf.zeros([3, 3, 3]) as unknown as Tensor4D)).toThrow(/upsample2d: x must be rank 4/);
  });
});

describe('conv2dResample', () => {
  it('k=3 down=2 x=[2,8,8,3] → [2,4,4,5]', () => {
    const c = fx.conv_down3!;
    expectClose(toNCHW(conv2dResample(tf, nhwc(c.x), hwio(c.w), 1, 2)), c.y);
  });
  it('k=1 down=2 (resnet skip) x=[2,8,8,3] → [2,4,4,5]', () => {
    const c = fx.conv_down1!;
    expectClose(toNCHW(conv2dResample(tf, nhwc(c.x), hwio(c.w), 1, 2)), c.y);
  });
  it('k=3 up=2 x=[2,4,4,4] → [2,8,8,3]', () => {
    const c = fx.conv_up3!;
    expectClose(toNCHW(conv2dResample(tf, nhwc(c.x), hwio(c.w), 2, 1)), c.y);
  });
});

describe('modulatedConv2d (non-fused) vs the fused per-sample-weight reference', () => {
  for (const name of ['modconv', 'modconv_up', 'modconv_torgb']) {
    it(`${name}`, () => {
      const c = fx[name]!;
      const y = modulatedConv2d(tf, nhwc(c.x), hwio(c.w), tf.tensor2d(c.s.data, [c.s.shape[0]!, c.s.shape[1]!]), {
        demodulate: c.demodulate,
        up: c.up,
        ...(c.noise ? { noise: nhwc(c.noise) } : {}),
      });
      expectClose(toNCHW(y), c.y);
    });
  }
  it('throws when styles do not match the input channels', () => {
    expect(() => modulatedConv2d(tf, tf.zeros([2, 4, 4, 3]) as Tensor4D, tf.zeros([3, 3, 3, 5]) as Tensor4D, tf.zeros([2, 4]) as Tensor2D, { demodulate: true })).toThrow(
      /styles must be \[2, 3\]/,
    );
  });
});

describe('biasAct', () => {
  it('lrelu, gain 0.7, clamp 100', () => {
    const c = fx.bias_act!;
    const y = biasAct(tf, nhwc(c.x), tf.tensor1d(c.b.data), { act: 'lrelu', gain: c.gain, clamp: c.clamp });
    expectClose(toNCHW(y), c.y);
  });
  it('throws when the bias does not match the channels', () => {
    expect(() => biasAct(tf, tf.zeros([1, 2, 2, 3]), tf.zeros([4]))).toThrow(/bias must be \[3\]/);
  });
});

describe('minibatchStddev', () => {
  it('N=8 group=4', () => {
    const c = fx.mbstd_g4!;
    expectClose(toNCHW(minibatchStddev(tf, nhwc(c.x), 4)), c.y);
  });
  it('N=6 group=2 (groups interleave: n mod N/G)', () => {
    const c = fx.mbstd_g2!;
    expectClose(toNCHW(minibatchStddev(tf, nhwc(c.x), 2)), c.y);
  });
  it('throws when the batch is not divisible by the group', () => {
    expect(() => minibatchStddev(tf, tf.zeros([6, 2, 2, 1]) as Tensor4D, 4)).toThrow(/divisible by the group size 4/);
  });
});
