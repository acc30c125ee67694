import { describe, expect, it } from 'vitest';
import { AdaController, AdaOptionsError } from './ada.ts';

const BATCH = 16;
const STEP = (BATCH * 4) / (500 * 1000); // batch·interval / (ada_kimg·1000)

/** Run `iterations` iterations, feeding each the real logits `logits(i)`. */
function run(ada: AdaController, iterations: number, logits: (i: number) => number[]) {
  const updates = [];
  for (let i = 0; i < iterations; i++) {
    ada.accumulate(logits(i));
    const u = ada.endIteration();
    if (u) updates.push(u);
  }
  return updates;
}

describe('AdaController', () => {
  it('defaults: p = 0, target 0.6, interval 4, 500 kimg; step = batch·4/500k exactly', () => {
    const ada = new AdaController({ batchSize: BATCH });
    expect(ada.p).toBe(0);
    expect([ada.target, ada.interval, ada.kimg, ada.maxP]).toEqual([0.6, 4, 500, 1]);
    expect(ada.stepSize).toBe(STEP);
  });

  it('p rises by exactly one step per update when D separates reals (all logits positive)', () => {
    const ada = new AdaController({ batchSize: BATCH });
    const updates = run(ada, 40, () => Array(BATCH).fill(2.5));
    // updates after iterations 0, 4, 8, …, 36: ten of them
    expect(updates).toHaveLength(10);
    expect(updates.every((u) => u.rt === 1)).toBe(true);
    expect(ada.p).toBeCloseTo(10 * STEP, 15);
    updates.forEach((u) => expect(u.pAfter - u.pBefore).toBeCloseTo(STEP, 15));
  });

  it('p falls when D does not separate reals (r_t below target), and never below 0', () => {
    const ada = new AdaController({ batchSize: BATCH, initialP: 3 * STEP });
    // half positive, half negative: r_t = 0 < 0.6
    const updates = run(ada, 40, () => [...Array(BATCH / 2).fill(1), ...Array(BATCH / 2).fill(-1)]);
    expect(updates.map((u) => u.rt)).toEqual(Array(10).fill(0));
    expect(updates.slice(0, 3).map((u) => u.pAfter)).toEqual([2 * STEP, STEP, 0].map((v) => expect.closeTo(v, 15)));
    expect(ada.p).toBe(0);
  });

  it('r_t averages every logit since the last update, across iterations and calls', () => {
    const ada = new AdaController({ batchSize: 4 });
    ada.accumulate([1, 1, 1, 1]);
    expect(ada.endIteration()).toEqual({ rt: 1, pBefore: 0, pAfter: ada.stepSize });
    // next update after iterations 1..4: 16 logits + one extra call with 4 more
    ada.accumulate([1, -1, 1, 1]);
    expect(ada.endIteration()).toBeUndefined();
    ada.accumulate([1, 1, 1, 1]);
    ada.accumulate([-1, -1, -1, -1]);
    expect(ada.endIteration()).toBeUndefined();
    ada.accumulate([1, 1, 1, 1]);
    expect(ada.endIteration()).toBeUndefined();
    ada.accumulate([0.5, 1, 1, -3]);
    const u = ada.endIteration();
    expect(u?.rt).toBe((2 + 4 - 4 + 4 + 2) / 20);
    // 0.4 < 0.6: back down
    expect(u?.pAfter).toBe(0);
  });

  it('r_t exactly at the target leaves p unchanged (sign 0)', () => {
    const ada = new AdaController({ batchSize: 5, initialP: 0.5 });
    ada.accumulate([1, 1, 1, 1, -1]); // mean 0.6
    expect(ada.endIteration()).toEqual({ rt: 0.6, pBefore: 0.5, pAfter: 0.5 });
  });

  it('p is clamped at maxP (1 by default; Infinity reproduces the reference)', () => {
    const clamped = new AdaController({ batchSize: BATCH, initialP: 1 - STEP / 2 });
    run(clamped, 9, () => [1]);
    expect(clamped.p).toBe(1);
    const unclamped = new AdaController({ batchSize: BATCH, initialP: 1 - STEP / 2, maxP: Infinity });
    run(unclamped, 9, () => [1]);
    expect(unclamped.p).toBeCloseTo(1 + 2.5 * STEP, 12);
  });

  it('fixed p never changes, but r_t is still measured', () => {
    const ada = new AdaController({ batchSize: BATCH, fixedP: 0.3 });
    const updates = run(ada, 20, () => [5, 5]);
    expect(updates.map((u) => u.rt)).toEqual(Array(5).fill(1));
    expect(updates.every((u) => u.pBefore === 0.3 && u.pAfter === 0.3)).toBe(true);
    expect(ada.p).toBe(0.3);
  });

  it('accepts tensors (anything with dataSync) and skips an update with nothing accumulated', () => {
    const ada = new AdaController({ batchSize: 2 });
    expect(ada.endIteration()).toBeUndefined();
    expect(ada.p).toBe(0);
    ada.accumulate({ dataSync: () => new Float32Array([3, 4]) });
    expect(ada.getState()).toMatchObject({ signSum: 2, signCount: 2, iteration: 1 });
  });

  it('getState/setState continues exactly (same p trajectory as an uninterrupted run)', () => {
    const logits = (i: number) => (i % 7 < 5 ? [1, 1, -1] : [-1, -1, 1]);
    const straight = new AdaController({ batchSize: BATCH });
    const a = run(straight, 30, logits);
    const first = new AdaController({ batchSize: BATCH });
    const b1 = run(first, 13, logits);
    const saved = JSON.parse(JSON.stringify(first.getState()));
    const resumed = new AdaController({ batchSize: BATCH });
    resumed.setState(saved);
    const b2 = run(resumed, 17, (i) => logits(i + 13));
    expect([...b1, ...b2]).toEqual(a);
    expect(resumed.getState()).toEqual(straight.getState());
  });

  it('throws on bad options, NaN logits and foreign states', () => {
    expect(() => new AdaController({ batchSize: 0 })).toThrow(AdaOptionsError);
    expect(() => new AdaController({ batchSize: 4, target: 2 })).toThrow(/target/);
    expect(() => new AdaController({ batchSize: 4, interval: 2.5 })).toThrow(/interval/);
    expect(() => new AdaController({ batchSize: 4, fixedP: -0.1 })).toThrow(/fixedP/);
    const ada = new AdaController({ batchSize: 4 });
    expect(() => ada.accumulate([1, NaN])).toThrow(/NaN/);
    expect(() => ada.setState({ p: -1, signSum: 0, signCount: 0, iteration: 0 })).toThrow(AdaOptionsError);
    expect(() => ada.setState({ p: 0, signSum: 5, signCount: 2, iteration: 0 })).toThrow(AdaOptionsError);
    const fixed = new AdaController({ batchSize: 4, fixedP: 0.2 });
    expect(() => fixed.setState({ p: 0.4, signSum: 0, signCount: 0, iteration: 8 })).toThrow(/fixed p/);
  });
});
