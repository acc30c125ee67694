import { describe, expect, it } from 'vitest';
import { FedAdagrad } from './fedadagrad.ts';
import { FedAdam } from './fedadam.ts';
import { FedAvg } from './fedavg.ts';
import { FedAvgM } from './fedavgm.ts';
import { FedMedian } from './fedmedian.ts';
import { FedProx, proximalGradient, proximalTerm } from './fedprox.ts';
import { FedYogi } from './fedyogi.ts';
import { createStrategy } from './strategies.ts';
import type { Strategy, UpdateResult } from './strategy.ts';
import { values, ws } from './testing.ts';
import { TrimmedMean } from './trimmed-mean.ts';
import { Krum, krumScores } from './krum.ts';
import { memorySink, memorySource } from './weight-file.ts';
import type { WeightHeader, WeightSet } from './weights.ts';

const GLOBAL = ws({ 'G/w': [1, 2], 'D/b': [0], 'G_ema/w': [1, 2] });

function update(tenant: string, samples: number, set: WeightSet): UpdateResult {
  return { tenant, samples, source: memorySource(set, tenant) };
}

/** Run one aggregation into memory; returns the new global and, if any, the new server state per slot. */
async function run(strategy: Strategy, round: number, updates: UpdateResult[], global = GLOBAL, serverState: Record<string, WeightSet> | null = null, sliceValues?: number) {
  let out: ReturnType<typeof memorySink> | null = null;
  const state = new Map<string, ReturnType<typeof memorySink>>();
  const outcome = await strategy.aggregate(round, updates, [], {
    global: memorySource(global),
    createOutput: (h: WeightHeader) => (out = memorySink(h)),
    serverStateIn: serverState ? Object.fromEntries(Object.entries(serverState).map(([k, v]) => [k, memorySource(v)])) : null,
    createServerStateOutput: (slot: string, h: WeightHeader) => {
      const sink = memorySink(h);
      state.set(slot, sink);
      return sink;
    },
    ...(sliceValues ? { sliceValues } : {}),
  });
  return {
    outcome,
    global: out ? (out as ReturnType<typeof memorySink>).result() : null,
    state: state.size > 0 ? Object.fromEntries([...state].map(([k, v]) => [k, v.result()])) : null,
  };
}

const A = ws({ 'G/w': [2, 2], 'D/b': [1], 'G_ema/w': [2, 4] });
const B = ws({ 'G/w': [4, 2], 'D/b': [5], 'G_ema/w': [0, 0] });
const C = ws({ 'G/w': [100, -7], 'D/b': [3], 'G_ema/w': [1, 1] });

describe('FedAvg', () => {
  it('weights by samples seen: 1 and 3 samples → 0.25·A + 0.75·B, G_ema averaged like weights', async () => {
    const { outcome, global } = await run(new FedAvg(), 1, [update('a', 1, A), update('b', 3, B)]);
    expect(outcome.status).toBe('aggregated');
    expect(values(global!, 'G/w')).toEqual([3.5, 2]);
    expect(values(global!, 'D/b')).toEqual([4]);
    expect(values(global!, 'G_ema/w')).toEqual([0.5, 1]);
    if (outcome.status !== 'aggregated') throw new Error('unreachable');
    expect(outcome.metrics.weights).toEqual([0.25, 0.75]);
    // ‖new − old‖ over G, D, G_ema: (2.5² + 0) + 4² + (0.5² + 1²)
    expect(outcome.metrics.globalDeltaNorm).toBeCloseTo(Math.sqrt(6.25 + 16 + 0.25 + 1), 6);
    expect(outcome.serverState).toBeNull();
  });

  it('returns skipped (no model, no throw) with no results', async () => {
    const outcome = await new FedAvg().aggregate(3, [], [{ tenant: 'a', reason: 'dropped' }], { global: memorySource(GLOBAL), createOutput: memorySink });
    expect(outcome).toEqual({ status: 'skipped', reasons: ['no accepted updates'] });
  });

  it('with acceptFailures off, any failure skips the round', async () => {
    const outcome = await new FedAvg({ acceptFailures: false }).aggregate(1, [update('a', 1, A)], [{ tenant: 'b', reason: 'non-finite', detail: '1 NaN' }], {
      global: memorySource(GLOBAL),
      createOutput: memorySink,
    });
    expect(outcome).toEqual({ status: 'skipped', reasons: ['b: non-finite (1 NaN); acceptFailures is off'] });
  });

  it('configureRound asks every tenant by default and a seeded, reproducible fraction otherwise', () => {
    const tenants = ['c', 'a', 'b', 'd'].map((tenant) => ({ tenant }));
    expect(new FedAvg().configureRound(1, tenants).participants).toEqual(['a', 'b', 'c', 'd']);
    const half = new FedAvg({ fractionFit: 0.5, samplingSeed: 7 });
    const p1 = half.configureRound(1, tenants).participants;
    expect(p1).toHaveLength(2);
    expect(half.configureRound(1, tenants).participants).toEqual(p1);
    expect(new FedAvg({ fractionFit: 0.25, minFit: 3 }).configureRound(1, tenants).participants).toHaveLength(3);
  });

  it('state() and restore() round-trip; restore refuses another strategy', () => {
    const s = new FedAvg();
    s.restore({ name: 'fedavg', roundsAggregated: 4, hasServerState: false });
    expect(s.state()).toEqual({ name: 'fedavg', roundsAggregated: 4, hasServerState: false });
    expect(() => s.restore({ name: 'fedadam', roundsAggregated: 1, hasServerState: true })).toThrow(/belongs to strategy 'fedadam'/);
  });
});

describe('FedProx', () => {
  it('aggregates like FedAvg and tells tenants μ', async () => {
    const s = new FedProx({ proximalMu: 0.1 });
    expect(s.configureRound(2, [{ tenant: 'a' }]).config.proximalMu).toBe(0.1);
    const { global } = await run(s, 1, [update('a', 1, A), update('b', 3, B)]);
    expect(values(global!, 'G/w')).toEqual([3.5, 2]);
  });

  it('proximal term μ/2‖w − g‖² and its gradient μ(w − g)', () => {
    const w = Float32Array.from([1, 2, 3]);
    const g = Float32Array.from([1, 0, 7]);
    expect(proximalTerm(w, g, 0.5)).toBe(0.25 * (0 + 4 + 16));
    expect([...proximalGradient(w, g, 0.5)]).toEqual([0, 1, -2]);
  });
});

describe('FedOpt (Reddi et al.)', () => {
  // Updates A (1 sample) and B (3 samples) give mean G/w = [3.5, 2] against global [1, 2] every round.
  const opts = { eta: 0.1, beta1: 0.9, beta2: 0.99, tau: 0.5 };
  it.each([
    ['fedadam', () => new FedAdam(opts), 1.023656848451251, 1.06635909858843, 0.31],
    ['fedyogi', () => new FedYogi(opts), 1.023606797749979, 1.066132801774575, 0.3125],
    ['fedadagrad', () => new FedAdagrad(opts), 1.0081980390271856, 1.019863048061496, 6.5],
  ] as const)('%s: two rounds, server moments streamed out and back in', async (_name, make, x1, x2, v1) => {
    const s = make();
    const r1 = await run(s, 1, [update('a', 1, A), update('b', 3, B)]);
    expect(values(r1.global!, 'G/w')[0]).toBeCloseTo(x1, 6);
    expect(values(r1.global!, 'G/w')[1]).toBe(2);
    expect(values(r1.state!.v!, 'G/w')[0]).toBeCloseTo(v1, 6);
    expect(values(r1.state!.m!, 'G/w')[0]).toBeCloseTo(0.25, 7);
    expect(r1.state!.m!.tensors.map((t) => t.name)).toEqual(['G/w', 'D/b', 'G_ema/w']);
    expect(s.state().hasServerState).toBe(true);
    // Round 2 starts from the new global with the same tenant models (their mean is still [3.5, 2]).
    const restored = make();
    restored.restore(s.state());
    const r2 = await run(restored, 2, [update('a', 1, A), update('b', 3, B)], r1.global!, r1.state!);
    expect(values(r2.global!, 'G/w')[0]).toBeCloseTo(x2, 5);
  });

  it('refuses to run without the server state it has from earlier rounds', async () => {
    const s = new FedAdam(opts);
    s.restore({ name: 'fedadam', roundsAggregated: 1, hasServerState: true });
    await expect(run(s, 2, [update('a', 1, A)])).rejects.toThrow(/pass io.serverStateIn/);
  });
});

describe('FedAvgM (server learning rate and momentum)', () => {
  // Updates A (1 sample) and B (3 samples): mean G/w = [3.5, 2], so Δ = [2.5, 0] against global [1, 2].
  it('η = 1, β = 0 is FedAvg and keeps no server state', async () => {
    const s = new FedAvgM({ serverLr: 1, serverMomentum: 0 });
    const r = await run(s, 1, [update('a', 1, A), update('b', 3, B)]);
    expect(values(r.global!, 'G/w')).toEqual([3.5, 2]);
    expect(r.state).toBeNull();
  });

  it('η = 2, β = 0.5: v ← βv + Δ, w ← w + ηv over two rounds, the velocity streamed out and back in', async () => {
    const s = new FedAvgM({ serverLr: 2, serverMomentum: 0.5 });
    const r1 = await run(s, 1, [update('a', 1, A), update('b', 3, B)]);
    expect(values(r1.global!, 'G/w')).toEqual([6, 2]);
    expect(values(r1.state!.velocity!, 'G/w')).toEqual([2.5, 0]);
    // Round 2 from [6, 2]: Δ = [−2.5, 0], v = 0.5·2.5 − 2.5 = −1.25, w = 6 + 2·(−1.25) = 3.5.
    const restored = new FedAvgM({ serverLr: 2, serverMomentum: 0.5 });
    restored.restore(s.state());
    const r2 = await run(restored, 2, [update('a', 1, A), update('b', 3, B)], r1.global!, r1.state!);
    expect(values(r2.global!, 'G/w')).toEqual([3.5, 2]);
    expect(values(r2.state!.velocity!, 'G/w')).toEqual([-1.25, 0]);
  });

  it('refuses a non-positive learning rate and a momentum outside [0, 1)', () => {
    expect(() => new FedAvgM({ serverLr: 0 })).toThrow(/serverLr must be > 0/);
    expect(() => new FedAvgM({ serverMomentum: 1 })).toThrow(/serverMomentum must be in \[0, 1\)/);
  });
});

describe('robust rules', () => {
  it('FedMedian takes the coordinate median, ignoring sample counts', async () => {
    const { global } = await run(new FedMedian(), 1, [update('a', 1, A), update('b', 1000, B), update('c', 1, C)]);
    expect(values(global!, 'G/w')).toEqual([4, 2]);
    expect(values(global!, 'D/b')).toEqual([3]);
    expect(values(global!, 'G_ema/w')).toEqual([1, 1]);
  });

  it('TrimmedMean β = 0.34 over 3 tenants drops the extremes (the median)', async () => {
    const { global } = await run(new TrimmedMean({ beta: 0.34 }), 1, [update('a', 1, A), update('b', 1, B), update('c', 1, C)]);
    expect(values(global!, 'G/w')).toEqual([4, 2]);
  });

  it('TrimmedMean β = 0 is the unweighted mean', async () => {
    const { global } = await run(new TrimmedMean({ beta: 0 }), 1, [update('a', 1, A), update('b', 9, B), update('c', 1, C)]);
    expect(values(global!, 'D/b')).toEqual([3]);
  });

  it('robust rules refuse DP (noise is calibrated for a mean)', () => {
    expect(() => new FedMedian({ dp: { clip: 1, noiseMultiplier: 1 } })).toThrow(/calibrated for a mean/);
    expect(() => new TrimmedMean({ dp: { clip: 1, noiseMultiplier: 1 } })).toThrow(/calibrated for a mean/);
  });
});

describe('Krum', () => {
  // Four updates: three near each other, one far away (a Byzantine tenant).
  const K = [
    ws({ 'G/w': [1, 0] }),
    ws({ 'G/w': [2, 0] }),
    ws({ 'G/w': [1, 1] }),
    ws({ 'G/w': [50, 50] }),
  ];
  const G = ws({ 'G/w': [0, 0] });
  it('krumScores: sum of the m − f − 2 nearest squared distances', () => {
    // d² between 0,1,2: 1, 1, 2; to 3: 4901, 4804, 4802. f = 1 → 1 neighbour each.
    const d = [[0, 1, 1, 4901], [1, 0, 2, 4804], [1, 2, 0, 4802], [4901, 4804, 4802, 0]];
    expect(krumScores(d, 1)).toEqual([1, 1, 1, 4802]);
    expect(krumScores(d, 0)).toEqual([2, 3, 3, 9606]);
    expect(() => krumScores(d, 2)).toThrow(/at least f \+ 3 = 5 updates/);
  });
  it('Krum picks the most central update; Multi-Krum averages the best k by samples', async () => {
    const ups = K.map((k, j) => update(`t${j}`, j + 1, k));
    const one = await run(new Krum({ byzantine: 1 }), 1, ups, G);
    expect(values(one.global!, 'G/w')).toEqual([1, 0]);
    const three = await run(new Krum({ byzantine: 1, keep: 3 }), 1, ups, G);
    // t0, t1, t2 with samples 1, 2, 3: (1·[1,0] + 2·[2,0] + 3·[1,1]) / 6
    expect(values(three.global!, 'G/w').map((x) => +x.toFixed(6))).toEqual([8 / 6, 0.5].map((x) => +x.toFixed(6)));
  });
  it('skips (no model) with fewer than f + 3 updates', async () => {
    const { outcome } = await run(new Krum({ byzantine: 2 }), 1, K.map((k, j) => update(`t${j}`, 1, k)), G);
    expect(outcome).toEqual({ status: 'skipped', reasons: ['krum: needs at least f + 3 = 5 updates, got 4'] });
  });
});

describe('createStrategy', () => {
  it('builds by name and lists the names for an unknown one', () => {
    expect(createStrategy('fedyogi', { eta: 0.5 }).name).toBe('fedyogi');
    expect(() => createStrategy('bulyan')).toThrow(/choose one of fedavg, fedavgm, fedprox, fedadam/);
  });
});

describe('slicing changes nothing (every rule is coordinate-wise)', () => {
  const rand = (seed: number, n: number) => Array.from({ length: n }, (_, i) => Math.sin(seed * 97 + i * 13) * 3);
  const set = (seed: number) => ws({ 'G/a': [rand(seed, 12), [3, 4]], 'G/b': [rand(seed + 1, 1), [1]], 'D/c': [rand(seed + 2, 7), [7]], 'G_ema/a': [rand(seed + 3, 12), [3, 4]], 'G_ema/b': [rand(seed + 4, 1), [1]] });
  const g = set(0);
  const ups = [1, 2, 3, 4, 5].map((s, j) => update(`t${j}`, 100 * s, set(s)));
  it.each([
    ['fedavg', () => new FedAvg()],
    ['fedavg, gEma recompute', () => new FedAvg({ policy: { gEma: 'recompute' } })],
    ['fedavgm', () => new FedAvgM({ serverLr: 1.5, serverMomentum: 0.5 })],
    ['fedadam', () => new FedAdam({ eta: 0.1 })],
    ['fedyogi', () => new FedYogi({ eta: 0.1 })],
    ['fedmedian', () => new FedMedian()],
    ['trimmed-mean', () => new TrimmedMean({ beta: 0.2 })],
  ] as const)('%s: slices of 1 and 5 values give the whole-tensor result bit for bit', async (_name, make) => {
    const whole = await run(make(), 1, ups, g);
    for (const slice of [1, 5]) {
      const sliced = await run(make(), 1, ups, g, null, slice);
      expect(sliced.outcome).toEqual(whole.outcome);
      expect(sliced.global).toEqual(whole.global);
      expect(sliced.state).toEqual(whole.state);
    }
  });
});
