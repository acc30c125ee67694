import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RDP_ORDERS, privacySpent, rdpSampledGaussian } from './accountant.ts';
import { clipFactor, noiseStdForMean } from './dp.ts';
import { FedAvg } from './fedavg.ts';
import { seededRng } from './rng.ts';
import { values, ws } from './testing.ts';
import { inspectUpdate } from './validation.ts';
import { memorySink, memorySource } from './weight-file.ts';
import type { WeightHeader, WeightSet } from './weights.ts';

async function dpFedAvg(strategy: FedAvg, global: WeightSet, updates: [number, WeightSet][], seed: number) {
  const results = [];
  for (const [j, [samples, set]] of updates.entries()) {
    const { deltaNorm } = await inspectUpdate(memorySource(global), memorySource(set));
    results.push({ tenant: `t${j}`, samples, source: memorySource(set), deltaNorm });
  }
  let sink: ReturnType<typeof memorySink> | null = null;
  const outcome = await strategy.aggregate(1, results, [], { global: memorySource(global), createOutput: (h: WeightHeader) => (sink = memorySink(h)), rng: seededRng(seed) });
  return { outcome, global: (sink as unknown as ReturnType<typeof memorySink>).result() };
}

describe('DP-FedAvg clipping and noise', () => {
  it('clipFactor = min(1, C/‖Δ‖)', () => {
    expect(clipFactor(5, 1)).toBe(0.2);
    expect(clipFactor(0.5, 1)).toBe(1);
    expect(clipFactor(0, 1)).toBe(1);
    expect(() => clipFactor(NaN, 1)).toThrow(/finite/);
  });

  it('clips each update to C over G, D and G_ema together before averaging (σ = 0)', async () => {
    const g = ws({ 'G/w': [0, 0], 'D/b': [0], 'G_ema/w': [0, 0] });
    const a = ws({ 'G/w': [3, 0], 'D/b': [4], 'G_ema/w': [0, 0] }); // ‖Δ‖ = 5 → × 0.2
    const b = ws({ 'G/w': [0, 0.5], 'D/b': [0], 'G_ema/w': [0, 0] }); // ‖Δ‖ = 0.5 → unchanged
    const { outcome, global } = await dpFedAvg(new FedAvg({ dp: { clip: 1, noiseMultiplier: 0 } }), g, [[1, a], [1, b]], 1);
    expect(values(global, 'G/w').map((x) => Math.round(x * 1e6) / 1e6)).toEqual([0.3, 0.25]);
    expect(values(global, 'D/b')[0]).toBeCloseTo(0.4, 6);
    if (outcome.status !== 'aggregated') throw new Error('unreachable');
    expect(outcome.metrics.clipFactors).toEqual([0.2, 1]);
    expect(outcome.metrics.noiseStd).toBe(0);
  });

  it('adds N(0, (σ·C·max p)²) per coordinate: σ 2, C 1, weights [0.25, 0.75] → std 1.5', async () => {
    const n = 20_000;
    const g: WeightSet = { tensors: [{ name: 'G/w', shape: [n], data: new Float32Array(n) }], scalars: {} };
    const s = new FedAvg({ dp: { clip: 1, noiseMultiplier: 2 } });
    const { outcome, global } = await dpFedAvg(s, g, [[1, g], [3, g]], 42);
    if (outcome.status !== 'aggregated') throw new Error('unreachable');
    expect(outcome.metrics.noiseStd).toBe(1.5);
    const xs = values(global, 'G/w');
    const mean = xs.reduce((a, b) => a + b, 0) / n;
    const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
    expect(Math.abs(mean)).toBeLessThan(4 * (1.5 / Math.sqrt(n))); // 4 standard errors
    expect(std).toBeGreaterThan(1.5 * 0.97);
    expect(std).toBeLessThan(1.5 * 1.03);
    // Same seed, same noise; another seed, other noise.
    expect(values((await dpFedAvg(s, g, [[1, g], [3, g]], 42)).global, 'G/w')).toEqual(xs);
    expect(values((await dpFedAvg(s, g, [[1, g], [3, g]], 43)).global, 'G/w')).not.toEqual(xs);
  });

  it('noiseStdForMean with equal weights is σ·C/m', () => {
    expect(noiseStdForMean({ clip: 2, noiseMultiplier: 1.5 }, [1 / 3, 1 / 3, 1 / 3])).toBeCloseTo(1, 12);
  });

  it('with DP the default policy keeps pl_mean local; averaging it explicitly is refused', () => {
    expect(new FedAvg({ dp: { clip: 1, noiseMultiplier: 1 } }).policy.plMean).toBe('keep-local');
    expect(() => new FedAvg({ dp: { clip: 1, noiseMultiplier: 1 }, policy: { plMean: 'average' } })).toThrow(/un-clipped tenant state: plMean 'average'/);
    expect(() => new FedAvg({ dp: { clip: 1, noiseMultiplier: 1 }, policy: { moments: 'average' } })).toThrow(/moments 'average'/);
    expect(() => new FedAvg({ dp: { clip: 0, noiseMultiplier: 1 } })).toThrow(/clip C must be a positive number/);
  });

  it('DP needs each update’s deltaNorm', async () => {
    const g = ws({ 'G/w': [0] });
    await expect(
      new FedAvg({ dp: { clip: 1, noiseMultiplier: 1 } }).aggregate(1, [{ tenant: 'a', samples: 1, source: memorySource(g) }], [], { global: memorySource(g), createOutput: memorySink }),
    ).rejects.toThrow(/needs each update's deltaNorm/);
  });
});

describe('RDP accountant', () => {
  // fixtures/rdp.json: numerical integration of the SGM's Rényi moment with mpmath (make_rdp.py).
  const fixture = JSON.parse(readFileSync(new URL('../fixtures/rdp.json', import.meta.url), 'utf8')) as {
    orders: number[];
    rdp: { q: number; sigma: number; alpha: number; rdp: number }[];
    epsilon: { q: number; sigma: number; rounds: number; delta: number; epsilon: number; order: number }[];
  };

  it('evaluates the same orders as the fixture', () => {
    expect([...DEFAULT_RDP_ORDERS]).toEqual(fixture.orders);
  });

  it.each(fixture.rdp.map((p) => [p.q, p.sigma, p.alpha, p.rdp] as const))('ε(α) q=%s σ=%s α=%s matches numerical integration', (q, sigma, alpha, expected) => {
    expect(Math.abs(rdpSampledGaussian(q, sigma, alpha) - expected) / expected).toBeLessThan(1e-9);
  });

  it.each(fixture.epsilon.map((p) => [p.q, p.sigma, p.rounds, p.delta, p.epsilon, p.order] as const))(
    'ε for δ: q=%s σ=%s T=%s δ=%s → %s',
    (q, sigma, rounds, delta, epsilon, order) => {
      const spent = privacySpent({ samplingRate: q, noiseMultiplier: sigma, rounds, delta });
      expect(Math.abs(spent.epsilon - epsilon) / epsilon).toBeLessThan(1e-9);
      expect(spent.order).toBe(order);
    },
  );

  it('without subsampling it is the closed form: T·α/(2σ²) + log(1/δ)/(α − 1) minimised over α', () => {
    // σ = 4, T = 100, δ = 1e-5: 100·α/32 + 11.5129/(α−1); α = 3 → 9.375 + 5.7565 = 15.1315
    expect(rdpSampledGaussian(1, 4, 3)).toBe(3 / 32);
    expect(privacySpent({ samplingRate: 1, noiseMultiplier: 4, rounds: 100, delta: 1e-5 }).epsilon).toBeCloseTo(9.375 + Math.log(1e5) / 2, 12);
  });

  it('ε grows with rounds and shrinks with σ and with subsampling', () => {
    const e = (q: number, sigma: number, rounds: number) => privacySpent({ samplingRate: q, noiseMultiplier: sigma, rounds, delta: 1e-5 }).epsilon;
    expect(e(1, 2, 20)).toBeGreaterThan(e(1, 2, 10));
    expect(e(1, 4, 20)).toBeLessThan(e(1, 2, 20));
    expect(e(0.5, 2, 20)).toBeLessThan(e(1, 2, 20));
    expect(e(1, 2, 0)).toBeCloseTo(Math.log(1e5) / 1023, 12);
  });
});
