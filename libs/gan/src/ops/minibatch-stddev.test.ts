/** minibatchStddev against PyTorch. */
import { describe, expect, it } from 'vitest';
import type { Tensor4D } from '../tf-types.ts';
import { minibatchStddev } from './minibatch-stddev.ts';
import { expectClose, nhwc, opBackend, opCase, toNCHW } from './testing.ts';

const { tf, info } = await opBackend();
const backend = info.name;

describe(`minibatchStddev (${backend})`, () => {
  it('N=8 group=4', () => {
    const c = opCase('mbstd_g4');
    expectClose(toNCHW(tf, minibatchStddev(tf, nhwc(tf, c.x), 4)), c.y);
  });
  it('N=6 group=2 (groups interleave: n mod N/G)', () => {
    const c = opCase('mbstd_g2');
    expectClose(toNCHW(tf, minibatchStddev(tf, nhwc(tf, c.x), 2)), c.y);
  });
  it('throws when the batch is not divisible by the group', () => {
    expect(() => minibatchStddev(tf, tf.zeros([6, 2, 2, 1]) as Tensor4D, 4)).toThrow(/divisible by the group size 4/);
  });
});
