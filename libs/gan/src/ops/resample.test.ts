/** upsample2d, downsample2d, fir2d (FIR resampling, upfirdn2d) against PyTorch. */
import { describe, expect, it } from 'vitest';
import type { Tensor4D } from '../tf-types.ts';
import { downsample2d, fir2d, upsample2d } from './resample.ts';
import { expectClose, nhwc, opBackend, opCase, toNCHW } from './testing.ts';

const { tf, info } = await opBackend();
const backend = info.name;

describe(`resample (${backend})`, () => {
  it('fir2d([1,3,3,1]) is the normalised outer product', () => {
    const f = fir2d([1, 3, 3, 1], 4);
    expect(f.reduce((a, b) => a + b, 0)).toBeCloseTo(4, 6);
    expect(f[5]).toBeCloseTo((9 / 64) * 4, 7);
  });
  it('upsample2d x=[2,5,5,3] matches upfirdn2d(up=2, pad=[2,1], gain 4)', () => {
    const c = opCase('upsample2d');
    expectClose(toNCHW(tf, upsample2d(tf, nhwc(tf, c.x))), c.y);
  });
  it('upsample2d with many channels (zero-insert path) matches the diagonal path', () => {
    const x = tf.randomNormal([1, 3, 3, 9], 0, 1, 'float32', 7) as Tensor4D;
    const many = upsample2d(tf, x);
    const few = tf.concat([upsample2d(tf, x.slice([0, 0, 0, 0], [1, 3, 3, 5])), upsample2d(tf, x.slice([0, 0, 0, 5], [1, 3, 3, 4]))], 3);
    expect(many.shape).toEqual([1, 6, 6, 9]);
    expect(tf.max(tf.abs(tf.sub(many, few))).dataSync()[0]).toBeLessThan(1e-5);
  });
  it('downsample2d x=[2,8,8,4] matches upfirdn2d(down=2, pad=[1,1])', () => {
    const c = opCase('downsample2d');
    expectClose(toNCHW(tf, downsample2d(tf, nhwc(tf, c.x))), c.y);
  });
  it('throws when x is not rank 4', () => {
    expect(() => upsample2d(tf, tf.zeros([3, 3, 3]) as unknown as Tensor4D)).toThrow(/upsample2d: x must be rank 4/);
  });
});
