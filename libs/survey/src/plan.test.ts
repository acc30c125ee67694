import { describe, expect, it } from 'vitest';
import { apportion, planSurvey, type PoolImage } from './plan.ts';

const pool = (prefix: string, perClass: number[]): PoolImage[] =>
  perClass.flatMap((k, label) => Array.from({ length: k }, (_, i) => ({ id: `${prefix}-${label}-${i}`, label })));

describe('apportion', () => {
  it('splits by largest remainder and always adds up', () => {
    expect(apportion(200, [0.5, 0.5])).toEqual([100, 100]);
    expect(apportion(7, [1, 1, 1])).toEqual([3, 2, 2]);
    expect(apportion(10, [0.15, 0.85])).toEqual([2, 8]);
    expect(apportion(3, [0, 1])).toEqual([0, 3]);
  });
});

describe('planSurvey', () => {
  const pools = { real: pool('r', [30, 10]), synthetic: pool('s', [20, 20]) };

  it('draws N images with the chosen synthetic share and class balance', () => {
    const plan = planSurvey(pools, { n: 20, syntheticShare: 0.5, classShares: [0.5, 0.5], seed: 1 }, ['benign', 'melanoma']);
    const count = (source: string, label: number) => plan.filter((p) => p.source === source && p.label === label).length;
    expect(plan).toHaveLength(20);
    expect([count('real', 0), count('real', 1), count('synthetic', 0), count('synthetic', 1)]).toEqual([5, 5, 5, 5]);
    expect(new Set(plan.map((p) => p.id)).size).toBe(20);
    expect(plan.every((p) => p.id.startsWith(p.source === 'real' ? 'r-' : 's-'))).toBe(true);
  });

  it('is reproducible from its seed and differs for another seed', () => {
    const spec = { n: 10, seed: 7 };
    expect(planSurvey(pools, spec, ['b', 'm'])).toEqual(planSurvey(pools, spec, ['b', 'm']));
    expect(planSurvey(pools, { ...spec, seed: 8 }, ['b', 'm'])).not.toEqual(planSurvey(pools, spec, ['b', 'm']));
  });

  it('refuses a balance the pools cannot give, saying what is there', () => {
    expect(() => planSurvey(pools, { n: 40, syntheticShare: 0.5, classShares: [0, 1] }, ['benign', 'melanoma'])).toThrow(
      'the real dataset has 10 melanoma images; the survey needs 20 (lower N or change the balance)',
    );
    expect(() => planSurvey(pools, { n: 10, classShares: [1] }, ['benign', 'melanoma'])).toThrow(/classShares has 1 entries/);
  });
});
