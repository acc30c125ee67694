/** biasAct (bias, activation, gain, clamp) against PyTorch. */
import { describe, expect, it } from 'vitest';
import { biasAct } from './bias-act.ts';
import { expectClose, nhwc, opBackend, opCase, toNCHW } from './testing.ts';

const { tf, info } = await opBackend();
const backend = info.name;

describe(`biasAct (${backend})`, () => {
  it('lrelu, gain 0.7, clamp 100', () => {
    const c = opCase('bias_act');
    const y = biasAct(tf, nhwc(tf, c.x), tf.tensor1d(c.b.data), { act: 'lrelu', gain: c.gain, clamp: c.clamp });
    expectClose(toNCHW(tf, y), c.y);
  });
  it('throws when the bias does not match the channels', () => {
    expect(() => biasAct(tf, tf.zeros([1, 2, 2, 3]), tf.zeros([4]))).toThrow(/bias must be \[3\]/);
  });
});
