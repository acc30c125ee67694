import { describe, expect, it } from 'vitest';
import {
  AggregationError,
  coordinateMedian,
  initialMoments,
  capWeights,
  normalizeWeights,
  scaleToward,
  serverOptimizerStep,
  trimmedMean,
  weightedMean,
} from './aggregate.ts';

const f = (xs: number[]) => Float32Array.from(xs);

describe('aggregate math', () => {
  it('capWeights: no weight over factor × 1/n, the excess shared in proportion, the sum kept at 1', () => {
    const sum = (w: number[]) => w.reduce((a, b) => a + b, 0);
    const attacked = capWeights(normalizeWeights([2_000_000_000, 100, 300]), 2);
    expect(attacked[0]).toBeCloseTo(2 / 3, 12);
    expect(attacked[1]! / attacked[2]!).toBeCloseTo(1 / 3, 12);
    expect(sum(attacked)).toBeCloseTo(1, 12);
    const study = normalizeWeights([2000, 12000, 20000]); // the study's tenants: under the cap, unchanged
    expect(capWeights(study, 2)).toEqual(study);
    expect(capWeights([0.9, 0.05, 0.05], 1)).toEqual([1 / 3, 1 / 3, 1 / 3].map((w) => expect.closeTo(w, 12)));
    const cascade = capWeights([0.7, 0.2, 0.06, 0.04], 1.2); // capping the first pushes the second over too
    expect(cascade.map((w) => w <= 0.3 + 1e-12)).toEqual([true, true, true, true]);
    expect(sum(cascade)).toBeCloseTo(1, 12);
    expect(() => capWeights([1], 0)).toThrow(/factor must be > 0/);
  });

  it('normalizeWeights: [1, 3] → [0.25, 0.75]; refuses 0, negative and NaN counts', () => {
    expect(normalizeWeights([1, 3])).toEqual([0.25, 0.75]);
    for (const bad of [0, -1, NaN]) expect(() => normalizeWeights([1, bad])).toThrow(AggregationError);
  });

  it('weightedMean: weights [0.25, 0.75] over [1, 2] and [3, 6] → [2.5, 5]', () => {
    expect([...weightedMean([f([1, 2]), f([3, 6])], [0.25, 0.75])]).toEqual([2.5, 5]);
  });

  it('weightedMean throws when lengths differ', () => {
    expect(() => weightedMean([f([1, 2]), f([3])], [0.5, 0.5])).toThrow(/value #1 has 1 entries, expected 2/);
  });

  it('coordinateMedian: odd count takes the middle, even count the mean of the two middle values', () => {
    expect([...coordinateMedian([f([1, 10]), f([100, -5]), f([3, 0])])]).toEqual([3, 0]);
    expect([...coordinateMedian([f([1]), f([100]), f([3]), f([5])])]).toEqual([4]);
  });

  it('trimmedMean: β = 0.2 over 5 values drops one at each end', () => {
    const vals = [f([1, -100]), f([2, 0]), f([3, 1]), f([4, 2]), f([1000, 3])];
    expect([...trimmedMean(vals, 0.2)]).toEqual([3, 1]);
    expect([...trimmedMean(vals, 0)]).toEqual([202, -18.8].map((x) => Math.fround(x)));
    expect(() => trimmedMean(vals, 0.5)).toThrow(/beta must be in \[0, 0.5\)/);
  });

  it('scaleToward: factor 0.5 moves halfway to the global', () => {
    expect([...scaleToward(f([0, 10]), f([2, 20]), 0.5)]).toEqual([1, 15]);
  });

  // x = [1, 2], mean = [3.5, 2], η 0.1, β1 0.9, β2 0.99, τ 0.5 (v starts at τ² = 0.25); values by hand.
  it.each([
    ['adam', 1.023656848451251, 0.31, 0.2475],
    ['yogi', 1.023606797749979, 0.3125, 0.25],
    ['adagrad', 1.0081980390271856, 6.5, 0.25],
  ] as const)('serverOptimizerStep %s', (kind, x0, v0, v1) => {
    const { m, v } = initialMoments(2, 0.5);
    const out = serverOptimizerStep(kind, { eta: 0.1, beta1: 0.9, beta2: 0.99, tau: 0.5 }, f([1, 2]), f([3.5, 2]), m, v);
    expect(out[0]).toBeCloseTo(x0, 6);
    expect(out[1]).toBe(2);
    expect(m[0]).toBeCloseTo(0.25, 7);
    expect(v[0]).toBeCloseTo(v0, 6);
    expect(v[1]).toBeCloseTo(v1, 6);
  });
});
