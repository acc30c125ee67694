import { describe, expect, it } from 'vitest';
import { FedAvg } from './fedavg.ts';
import {
  aggregateScalars,
  DEFAULT_GAN_STATE_POLICY,
  REFERENCE_GAN_STATE_POLICY,
  resolveGanStatePolicy,
  resolveTenantRoundState,
  tensorsToExchange,
  type GanStatePolicy,
} from './gan-state-policy.ts';
import { values, ws } from './testing.ts';
import { memorySink, memorySource } from './weight-file.ts';
import type { WeightHeader, WeightSet } from './weights.ts';

const policy = (p: Partial<GanStatePolicy>) => resolveGanStatePolicy(p);

async function fedavg(p: Partial<GanStatePolicy>, global: WeightSet, updates: [number, WeightSet][]): Promise<WeightSet> {
  let sink: ReturnType<typeof memorySink> | null = null;
  await new FedAvg({ policy: p }).aggregate(1, updates.map(([n, set], j) => ({ tenant: `t${j}`, samples: n, source: memorySource(set) })), [], {
    global: memorySource(global),
    createOutput: (h: WeightHeader) => (sink = memorySink(h)),
  });
  return (sink as unknown as ReturnType<typeof memorySink>).result();
}

describe('GAN-state policy', () => {
  it('the defaults keep p per tenant and average pl_mean: neither restarts from 0 each round', () => {
    expect(DEFAULT_GAN_STATE_POLICY).toMatchObject({ adaP: 'keep-local', plMean: 'average', moments: 'keep-local', gEma: 'average' });
    const local = { adaP: 0.3, plMean: 2 };
    const start = resolveTenantRoundState(DEFAULT_GAN_STATE_POLICY, local, { plMean: 1.5 });
    expect(start).toEqual({ adaP: 0.3, plMean: 1.5, moments: 'keep-local' });
    // The reference's behaviour, for ablations: p averaged, pl_mean reset every round.
    expect(resolveTenantRoundState(REFERENCE_GAN_STATE_POLICY, local, { adaP: 0.1, plMean: 0 })).toEqual({ adaP: 0.1, plMean: 0, moments: 'keep-local' });
  });

  it('the default gEmaBeta is the reference per-iteration β (0.5^(32/10000)) over K = 100 iterations', () => {
    expect(DEFAULT_GAN_STATE_POLICY.gEmaBeta).toBeCloseTo(0.99778 ** 100, 3);
  });

  it.each([
    [{ adaP: 'average' }, { adaP: 0.25 * 0.2 + 0.75 * 0.6, plMean: 0.25 * 1 + 0.75 * 3 }],
    [{ adaP: 'max' }, { adaP: 0.6, plMean: 2.5 }],
    [{ adaP: 'keep-local' }, { plMean: 2.5 }],
    [{ adaP: 'keep-local', plMean: 'reset' }, { plMean: 0 }],
    [{ adaP: 'keep-local', plMean: 'keep-local' }, {}],
  ] as const)('aggregateScalars %j', (p, expected) => {
    const out = aggregateScalars(policy(p), [{ adaP: 0.2, plMean: 1 }, { adaP: 0.6, plMean: 3 }], [0.25, 0.75], { adaP: 0.9, plMean: 9 });
    const adaP = (expected as { adaP?: number }).adaP;
    if (adaP === undefined) expect(out.adaP).toBeUndefined();
    else expect(out.adaP).toBeCloseTo(adaP, 7);
    expect(out.plMean).toEqual((expected as { plMean?: number }).plMean);
  });

  it('averaged scalars fall back to the previous global when a tenant does not report them', () => {
    expect(aggregateScalars(policy({ adaP: 'average' }), [{ adaP: 0.2 }, {}], [0.5, 0.5], { adaP: 0.9 })).toEqual({ adaP: 0.9 });
  });

  it('tenant side: moments reset / load-global; missing global values keep the local ones', () => {
    expect(resolveTenantRoundState(policy({ moments: 'reset' }), { adaP: 0.1, plMean: 1 }, {}).moments).toBe('reset');
    expect(resolveTenantRoundState(policy({ moments: 'average', adaP: 'average' }), { adaP: 0.1, plMean: 1 }, {})).toEqual({ adaP: 0.1, plMean: 1, moments: 'load-global' });
  });

  it('rejects unknown values', () => {
    expect(() => resolveGanStatePolicy({ adaP: 'median' as never })).toThrow(/adaP must be one of average, keep-local, max/);
    expect(() => resolveGanStatePolicy({ gEmaBeta: 1 })).toThrow(/gEmaBeta/);
  });

  it('aggregation writes the policy scalars into the new global', async () => {
    const g = ws({ 'G/w': [0] }, { adaP: 0.5, plMean: 4 });
    const out = await fedavg({ adaP: 'max', plMean: 'average' }, g, [[1, ws({ 'G/w': [2] }, { adaP: 0.1, plMean: 2 })], [1, ws({ 'G/w': [4] }, { adaP: 0.7, plMean: 4 })]]);
    expect(out.scalars).toEqual({ adaP: 0.7, plMean: 3 });
    expect(values(out, 'G/w')).toEqual([3]);
  });

  it("gEma 'recompute': G_ema ← β·G_ema + (1 − β)·new G, ignoring the tenants' G_ema", async () => {
    const g = ws({ 'G/w': [0, 0], 'D/b': [0], 'G_ema/w': [10, 20] });
    const a = ws({ 'G/w': [2, 4], 'D/b': [1], 'G_ema/w': [99, 99] });
    const b = ws({ 'G/w': [4, 8], 'D/b': [1], 'G_ema/w': [-99, -99] });
    const out = await fedavg({ gEma: 'recompute', gEmaBeta: 0.75 }, g, [[1, a], [1, b]]);
    expect(values(out, 'G/w')).toEqual([3, 6]);
    expect(values(out, 'G_ema/w')).toEqual([0.75 * 10 + 0.25 * 3, 0.75 * 20 + 0.25 * 6]);
  });

  it("moments 'average' averages G_opt/D_opt tensors by samples (and never through a robust rule)", async () => {
    const g = ws({ 'G/w': [0], 'G_opt/m/w': [0] });
    const out = await fedavg({ moments: 'average' }, g, [[1, ws({ 'G/w': [1], 'G_opt/m/w': [4] })], [3, ws({ 'G/w': [1], 'G_opt/m/w': [8] })]]);
    expect(values(out, 'G_opt/m/w')).toEqual([7]);
  });

  it("moments 'keep-local' refuses a global model that carries moments", async () => {
    const g = ws({ 'G/w': [0], 'G_opt/m/w': [0] });
    await expect(fedavg({}, g, [[1, g]])).rejects.toThrow(/strip G_opt\/ and D_opt\/ tensors or use 'average'/);
  });
});

describe('tensorsToExchange', () => {
  const tensors = ['G/w', 'D/b', 'G_ema/w', 'G_opt/m/w', 'D_opt/v/b'].map((name) => ({ name, shape: [1] }));
  it('drops the optimiser moments unless the policy averages them', () => {
    expect(tensorsToExchange(DEFAULT_GAN_STATE_POLICY, tensors).map((t) => t.name)).toEqual(['G/w', 'D/b', 'G_ema/w']);
    expect(tensorsToExchange(policy({ moments: 'reset' }), tensors).map((t) => t.name)).toEqual(['G/w', 'D/b', 'G_ema/w']);
    expect(tensorsToExchange(policy({ moments: 'average' }), tensors)).toHaveLength(5);
  });
});
