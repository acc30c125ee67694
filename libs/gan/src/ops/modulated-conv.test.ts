/** modulatedConv2d (weight (de)modulation, non-fused) against the fused per-sample reference. */
import { describe, expect, it } from 'vitest';
import type { Tensor2D, Tensor4D } from '../tf-types.ts';
import { modulatedConv2d } from './modulated-conv.ts';
import { expectClose, hwio, nhwc, opBackend, opCase, toNCHW } from './testing.ts';

const { tf, info } = await opBackend();
const backend = info.name;

describe(`modulatedConv2d (non-fused) vs the fused per-sample-weight reference (${backend})`, () => {
  for (const name of ['modconv', 'modconv_up', 'modconv_torgb']) {
    it(`${name}`, () => {
      const c = opCase(name);
      const y = modulatedConv2d(tf, nhwc(tf, c.x), hwio(tf, c.w), tf.tensor2d(c.s.data, [c.s.shape[0]!, c.s.shape[1]!]), {
        demodulate: c.demodulate,
        up: c.up,
        ...(c.noise ? { noise: nhwc(tf, c.noise) } : {}),
      });
      expectClose(toNCHW(tf, y), c.y);
    });
  }
  it('throws when styles do not match the input channels', () => {
    expect(() => modulatedConv2d(tf, tf.zeros([2, 4, 4, 3]) as Tensor4D, tf.zeros([3, 3, 3, 5]) as Tensor4D, tf.zeros([2, 4]) as Tensor2D, { demodulate: true })).toThrow(
      /styles must be \[2, 3\]/,
    );
  });
});
