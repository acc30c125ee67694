import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Rng } from '../rng.ts';
import { averagePrecision } from './average-precision.ts';
import { classificationReport, INTERVAL_KEYS } from './report.ts';
import { percentile } from './percentile.ts';
import { rocAuc } from './roc-auc.ts';
import { measuresAt, youdenThreshold } from './threshold.ts';

/** Made by fixtures/make_fixtures.py with scikit-learn and numpy. */
interface Fixture {
  resamples: number;
  seed: number;
  level: number;
  mulberry32_seed_2022_first5: number[];
  cases: Array<{
    name: string;
    labels: number[];
    scores: number[];
    patients: string[];
    youden: number | null;
    threshold: number;
    auc: number | null;
    pr_auc: number | null;
    prevalence: number;
    at_threshold: Expected;
    at_half: Expected;
    ci: Record<string, { low: number | null; high: number | null; used: number; skipped: number }>;
  }>;
}
interface Expected {
  confusion: { tp: number; fp: number; tn: number; fn: number };
  accuracy: number;
  sensitivity: number | null;
  specificity: number | null;
  balanced_accuracy: number | null;
}

const fixture = JSON.parse(readFileSync(new URL('../../fixtures/measures.json', import.meta.url), 'utf8')) as Fixture;
const EXACT = 1e-12;
/** null in the fixture (undefined in scikit-learn's terms) is NaN here. */
function close(actual: number, expected: number | null): void {
  if (expected === null) expect(actual).toBeNaN();
  else expect(Math.abs(actual - expected)).toBeLessThanOrEqual(EXACT);
}

describe('rng', () => {
  it('mulberry32 seed 2022 gives the same first draws as the Python fixture script', () => {
    const rng = new Rng(2022);
    expect(Array.from({ length: 5 }, () => rng.nextUint32())).toEqual(fixture.mulberry32_seed_2022_first5);
  });
  it('continues the same sequence from a saved state', () => {
    const a = new Rng(5);
    a.next();
    const b = new Rng(a.state());
    expect([a.next(), a.next()]).toEqual([b.next(), b.next()]);
  });
});

describe.each(fixture.cases)('measures vs scikit-learn: $name', (c) => {
  it('ROC-AUC (ties as average rank, trapezoid)', () => close(rocAuc(c.labels, c.scores), c.auc));
  it('PR-AUC as average precision', () => close(averagePrecision(c.labels, c.scores), c.pr_auc));
  it("Youden's J threshold", () => {
    const chosen = youdenThreshold(c.labels, c.scores);
    if (c.youden === null) expect(chosen.method).toBe('fallback');
    else expect(chosen.threshold).toBe(c.youden);
  });
  it.each([
    ['the chosen threshold', 'at_threshold'],
    ['0.5', 'at_half'],
  ] as const)('confusion, accuracy, sensitivity, specificity, balanced accuracy at %s', (_, key) => {
    const m = measuresAt(c.labels, c.scores, key === 'at_half' ? 0.5 : c.threshold);
    const e = c[key];
    expect(m.confusion).toEqual(e.confusion);
    close(m.accuracy, e.accuracy);
    close(m.sensitivity, e.sensitivity);
    close(m.specificity, e.specificity);
    close(m.balancedAccuracy, e.balanced_accuracy);
  });
  it('patient-level bootstrap intervals (1,000 seeded resamples, one-class resamples skipped and counted)', () => {
    const r = classificationReport(c.labels, c.scores, c.patients, {
      threshold: c.threshold,
      resamples: fixture.resamples,
      seed: fixture.seed,
      level: fixture.level,
    });
    close(r.prevalence, c.prevalence);
    for (const key of INTERVAL_KEYS) {
      const got = r.ci![key];
      const want = c.ci[key]!;
      expect({ key, used: got.used, skipped: got.skipped }).toEqual({ key, used: want.used, skipped: want.skipped });
      close(got.low, want.low);
      close(got.high, want.high);
    }
  });
});

describe('measures: properties and bad input', () => {
  it('the one-class fixture really exercises skipped resamples', () => {
    const c = fixture.cases.find((x) => x.name === 'one-class-resamples')!;
    expect(c.ci.auc!.skipped).toBeGreaterThan(100);
    expect(c.ci.accuracy!.skipped).toBe(0);
  });
  it('AUC is undefined (NaN) with one class, and AP with no positives', () => {
    expect(rocAuc([0, 0, 0], [0.1, 0.2, 0.3])).toBeNaN();
    expect(averagePrecision([0, 0], [0.1, 0.2])).toBeNaN();
    expect(youdenThreshold([1, 1], [0.2, 0.4])).toEqual({ threshold: 0.5, method: 'fallback', j: NaN });
  });
  it('AUC is invariant to a monotone transform of the scores', () => {
    const rng = new Rng(3);
    const y = Array.from({ length: 60 }, () => (rng.next() < 0.3 ? 1 : 0));
    const s = y.map((v) => Math.round((v * 0.4 + rng.next()) * 10) / 10);
    expect(rocAuc(y, s.map((v) => Math.exp(3 * v)))).toBe(rocAuc(y, s));
  });
  it('percentile matches numpy linear interpolation on a hand example', () => {
    expect(percentile([1, 2, 3, 4], 2.5)).toBeCloseTo(1.075, 14);
    expect(percentile([4, 1, 3, 2], 97.5)).toBeCloseTo(3.925, 14);
    expect(percentile([], 50)).toBeNaN();
  });
  it('throws when labels are not 0/1, scores are not finite, or lengths differ', () => {
    expect(() => rocAuc([0, 2], [0.1, 0.2])).toThrow(/labels must be 0 or 1, got 2 at index 1/);
    expect(() => rocAuc([0, 1], [0.1, NaN])).toThrow(/scores must be finite/);
    expect(() => averagePrecision([0, 1, 1], [0.1, 0.2])).toThrow(/labels has 3 values but scores has 2/);
  });
});
