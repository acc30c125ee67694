import { loadTf } from '@dermagan/tf';
import { describe, expect, it } from 'vitest';
import { classWeights, weightedBce } from './loss.ts';

const { tf } = await loadTf();

describe('weightedBce', () => {
  it('z=[2,-1,0,30,-30] y=[1,0,1,0,1] w=1 equals −mean(y·log σ(z) + (1−y)·log(1−σ(z))), stable at |z|=30', () => {
    const z = [2, -1, 0, 30, -30];
    const y = [1, 0, 1, 0, 1];
    const expected = z.reduce((s, zi, i) => s + (y[i] === 1 ? Math.log1p(Math.exp(-zi)) : Math.log1p(Math.exp(zi))), 0) / z.length;
    const got = weightedBce(tf, tf.tensor2d(z, [5, 1]), tf.tensor1d(y), tf.ones([5])).dataSync()[0]!;
    expect(got).toBeCloseTo(expected, 5);
  });
  it('weights scale each sample: w=[2,0] counts the first twice and drops the second', () => {
    const got = weightedBce(tf, tf.tensor2d([0.5, -3], [2, 1]), tf.tensor1d([1, 1]), tf.tensor1d([2, 0])).dataSync()[0]!;
    expect(got).toBeCloseTo((2 * Math.log1p(Math.exp(-0.5))) / 2, 6);
  });
});

describe('classWeights', () => {
  it('9 negatives, 1 positive → [10/18, 5]: each class weighs n/2 in total', () => {
    const w = classWeights([0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(w).toEqual([10 / 18, 5]);
    expect(9 * w[0] + 1 * w[1]).toBeCloseTo(10, 12);
  });
});
