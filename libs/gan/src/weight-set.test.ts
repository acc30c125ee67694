/**
 * The glue between the engine's trainer and a federation WeightSet: names, a lossless round trip,
 * shape checks, moment reset and the FedProx proximal step's exact arithmetic.
 */
import { WeightsError, type WeightSet } from '@dermagan/federation';
import { loadTf } from '@dermagan/tf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preset } from './config.ts';
import { inMemoryData } from './training-data.ts';
import { DEFAULT_AUGMENT, Trainer } from './training-loop.ts';
import { loadWeightSet, proximalStep, resetMoments, snapshotParams, trainerToWeightSet } from './weight-set.ts';

let a: Trainer;
let b: Trainer;
beforeAll(async () => {
  const { tf } = await loadTf();
  const data = inMemoryData(new Uint8Array(4 * 16 * 16 * 3).map((_, i) => i % 251), new Int32Array(4), 16, ['all']);
  const make = (seed: number) => new Trainer(tf, data, { config: preset('test', 16), seed, augment: { ...DEFAULT_AUGMENT, pipe: 'noaug' }, mirror: false });
  a = make(1);
  b = make(2);
  a.stepOnce(); // non-zero Adam moments
});
afterAll(() => {
  a.dispose();
  b.dispose();
});

const byName = (set: WeightSet) => new Map(set.tensors.map((t) => [t.name, t]));

describe('trainer ↔ weight set', () => {
  it('names every tensor by group and loads a set into another trainer exactly', () => {
    const set = trainerToWeightSet(a, { adaP: 0.1, plMean: 0.2 });
    const groups = new Set(set.tensors.map((t) => t.name.split('/')[0]));
    expect([...groups]).toEqual(['G', 'D', 'G_ema', 'G_opt', 'D_opt']);
    expect(set.tensors.filter((t) => t.name.startsWith('G/')).length).toBe(a.G.ps.entries().length);
    expect(set.scalars).toEqual({ adaP: 0.1, plMean: 0.2 });
    loadWeightSet(b, set);
    const back = byName(trainerToWeightSet(b, {}));
    for (const t of set.tensors) expect(back.get(t.name)!.data, t.name).toEqual(t.data);
  });

  it('refuses a tensor the trainer lacks or of another shape', () => {
    const set = trainerToWeightSet(a, {});
    const first = set.tensors[0]!;
    expect(() => loadWeightSet(b, { tensors: [{ ...first, name: 'G/nope' }], scalars: {} })).toThrow(WeightsError);
    expect(() => loadWeightSet(b, { tensors: [{ ...first, shape: [...first.shape, 1] }], scalars: {} })).toThrow(/global model but/);
  });

  it('resets the moments to zero and takes the proximal step w − lr·μ·(w − w_global)', () => {
    resetMoments(a);
    const moments = trainerToWeightSet(a, {}).tensors.filter((t) => t.name.includes('_opt/'));
    expect(moments.every((t) => t.data.every((x) => x === 0))).toBe(true);

    const anchor = snapshotParams(b); // the "global" weights
    const before = byName(trainerToWeightSet(a, {}));
    const global = byName(trainerToWeightSet(b, {}));
    proximalStep(a, anchor, 0.5, 0.2);
    const after = byName(trainerToWeightSet(a, {}));
    const checked = [`G/${[...a.G.ps.params.keys()][0]}`, `D/${[...a.D.ps.params.keys()].at(-1)}`];
    for (const name of checked) {
      const w = before.get(name)!.data;
      const g = global.get(name)!.data;
      after.get(name)!.data.forEach((x, i) => expect(x).toBeCloseTo(w[i]! - 0.1 * (w[i]! - g[i]!), 5));
    }
    // G_ema is not a trained parameter: untouched.
    const ema = [...before.keys()].find((n) => n.startsWith('G_ema/'))!;
    expect(after.get(ema)!.data).toEqual(before.get(ema)!.data);
    for (const v of anchor.values()) v.dispose();
  });
});
