/**
 * Agreement with the reference (fixtures/reference.json, made by
 * scripts/fixtures/projector/make_reference.py with PyTorch and NVlabs' own Generator): the
 * schedules, the noise regulariser, per-image Adam against torch.optim.Adam, and twelve steps of
 * projector.py's loop on the same tiny generator — run through the batched, resumable projector
 * (starting from a saved state, saving every 5 steps).
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Generator, preset, type NetworkConfig } from '@dermagan/gan';
import { loadTf, type Tf } from '@dermagan/tf';
import type { Tensor4D } from '@tensorflow/tfjs-core';
import { noiseRegularizer } from './noise-regulariser.ts';
import { projectorOptions } from './options.ts';
import { adamUpdate } from './per-image-adam.ts';
import { pixelFeatures } from './perceptual.ts';
import { projectImages } from './project.ts';
import { learningRate, wNoiseScale } from './schedule.ts';
import type { RunningState } from './state.ts';
import { MemoryStateStore } from './state-store.ts';

interface Fixture {
  schedule: { steps: number; w_std: number; points: Array<{ step: number; lr: number; w_noise_scale: number }> };
  regulariser: { sides: number[]; maps: number[][][]; values: number[] };
  adam: Array<{ start: { x: number[]; m: number[]; v: number[]; t: number }; lrs: number[]; grads: number[][]; x: number[][] }>;
  trajectory: {
    network: Partial<NetworkConfig>;
    steps: number;
    target: number[];
    w_avg: number[];
    start_noise: Record<string, number[]>;
    weights: Record<string, { shape: number[]; data: number[] }>;
    dist: number[];
    w: number[][];
  };
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/reference.json', import.meta.url), 'utf8')) as Fixture;

let tf: Tf;
beforeAll(async () => {
  tf = (await loadTf()).tf;
});

describe('schedules (projector.py, 1000 steps)', () => {
  const o = projectorOptions({ steps: fx.schedule.steps });
  for (const p of fx.schedule.points) {
    it(`step ${p.step}: lr ${p.lr.toPrecision(4)}, w noise ${p.w_noise_scale.toPrecision(4)}`, () => {
      expect(learningRate(p.step, o)).toBeCloseTo(p.lr, 12);
      expect(wNoiseScale(p.step, fx.schedule.w_std, o)).toBeCloseTo(p.w_noise_scale, 12);
    });
  }
});

describe('noise regulariser (torch.roll, F.avg_pool2d down to 8×8)', () => {
  it('per image, sides 4, 8, 16, 32, matches torch', () => {
    const { sides, maps, values } = fx.regulariser;
    const batch = sides.map((r, k) => tf.tensor4d([...maps[0]![k]!, ...maps[1]![k]!], [2, r, r, 1]) as Tensor4D);
    const got = noiseRegularizer(tf, batch).dataSync();
    expect(got[0]).toBeCloseTo(values[0]!, 7);
    expect(got[1]).toBeCloseTo(values[1]!, 7);
    expect(values[1]!).toBeGreaterThan(2 * values[0]!); // correlated maps cost more
  });
  it('throws when a map is not [N, r, r, 1]', () => {
    expect(() => noiseRegularizer(tf, [tf.zeros([1, 4, 4, 2]) as Tensor4D])).toThrow(/\[N, r, r, 1\]/);
  });
});

describe('per-image Adam', () => {
  it('two rows at different step counts and learning rates equal two torch.optim.Adam runs', () => {
    const [a, b] = fx.adam;
    let x = tf.tensor2d([a!.start.x, b!.start.x]);
    let m = tf.tensor2d([a!.start.m, b!.start.m]);
    let v = tf.tensor2d([a!.start.v, b!.start.v]);
    for (let k = 0; k < a!.lrs.length; k++) {
      const g = tf.tensor2d([a!.grads[k]!, b!.grads[k]!]);
      const u = adamUpdate(tf, x, g, { m, v }, { lr: Float32Array.of(a!.lrs[k]!, b!.lrs[k]!), t: Int32Array.of(a!.start.t + k + 1, b!.start.t + k + 1), betas: [0.9, 0.999], eps: 1e-8 });
      x = u.x;
      m = u.m;
      v = u.v;
      const got = x.arraySync();
      a!.x[k]!.forEach((e, j) => expect(got[0]![j]).toBeCloseTo(e, 5));
      b!.x[k]!.forEach((e, j) => expect(got[1]![j]).toBeCloseTo(e, 5));
    }
  });
  it('throws when the per-row rates do not match the rows', () => {
    const x = tf.zeros([2, 3]);
    expect(() => adamUpdate(tf, x, x, { m: x, v: x }, { lr: Float32Array.of(1), t: Int32Array.of(1, 1), betas: [0.9, 0.999], eps: 1e-8 })).toThrow(/2 rows but 1 rates/);
  });
});

describe("projector.py's loop on NVlabs' generator", () => {
  it('12 steps from the same start: the same distances and the same w (batched, resumed from a state, saved every 5 steps)', async () => {
    const t = fx.trajectory;
    const cfg: NetworkConfig = { ...preset('test', 16).network, ...t.network };
    const G = new Generator(tf, cfg, 0);
    for (const [name, v] of G.ps.entries()) {
      const w = t.weights[name];
      expect(w, name).toBeDefined();
      v.assign(tf.tensor(w!.data, w!.shape));
    }
    const noiseInputs = G.synthesis.noiseInputs();
    const start: RunningState = {
      kind: 'running',
      id: 'target',
      step: 0,
      label: null,
      rng: [1, 2, 3, 4],
      w: Float32Array.from(t.w_avg),
      wM: new Float32Array(16),
      wV: new Float32Array(16),
      noise: noiseInputs.map((n) => Float32Array.from(t.start_noise[n.name]!)),
      noiseM: noiseInputs.map((n) => new Float32Array(n.resolution ** 2)),
      noiseV: noiseInputs.map((n) => new Float32Array(n.resolution ** 2)),
    };
    const states = new MemoryStateStore();
    await states.save(0, start);
    const dists: number[] = [];
    const outcome = await projectImages(tf, {
      G,
      perceptual: pixelFeatures(tf),
      options: projectorOptions({ steps: t.steps, initialNoiseFactor: 0, saveEvery: 5, batch: 4, wAvgSamples: 100 }),
      targets: [{ id: 'target', label: null, pixels: Uint8Array.from(t.target) }],
      states,
      onProgress: (p) => {
        if (p.steps > dists.length) dists.push(p.distance);
      },
    });
    expect(outcome.resumed).toBe(1);
    dists.forEach((d, k) => expect(d / t.dist[k]!).toBeCloseTo(1, 3));
    const w = outcome.results[0]!.w;
    t.w.at(-1)!.forEach((e, j) => expect(w[j]).toBeCloseTo(e, 3));
    G.ps.dispose();
  });
});
