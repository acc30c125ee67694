/** conv2dResample (convolution with FIR up/down-sampling) against PyTorch. */
import { describe, it } from 'vitest';
import { conv2dResample } from './equalized-conv.ts';
import { expectClose, hwio, nhwc, opBackend, opCase, toNCHW } from './testing.ts';

const { tf, info } = await opBackend();
const backend = info.name;

describe(`conv2dResample (${backend})`, () => {
  it('k=3 down=2 x=[2,8,8,3] → [2,4,4,5]', () => {
    const c = opCase('conv_down3');
    expectClose(toNCHW(tf, conv2dResample(tf, nhwc(tf, c.x), hwio(tf, c.w), 1, 2)), c.y);
  });
  it('k=1 down=2 (resnet skip) x=[2,8,8,3] → [2,4,4,5]', () => {
    const c = opCase('conv_down1');
    expectClose(toNCHW(tf, conv2dResample(tf, nhwc(tf, c.x), hwio(tf, c.w), 1, 2)), c.y);
  });
  it('k=3 up=2 x=[2,4,4,4] → [2,8,8,3]', () => {
    const c = opCase('conv_up3');
    expectClose(toNCHW(tf, conv2dResample(tf, nhwc(tf, c.x), hwio(tf, c.w), 2, 1)), c.y);
  });
});
