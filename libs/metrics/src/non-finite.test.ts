/**
 * Silent nonsense refused: features too large for the arithmetic of either compute path, and any
 * score that comes out NaN or ±Infinity, are errors that say why (issue 15: features of ±3e38 gave
 * KID 7e230 on the float64 path and `kid: null` with other precision/recall on the tf path).
 */
import { describe, expect, it } from 'vitest';
import { createCompute, type ComputeMode } from './compute.ts';
import { DEFAULTS } from './defaults.ts';
import { evaluateFeatures } from './evaluate.ts';
import { MetricInputError } from './features-matrix.ts';
import { featureStatistics } from './statistics.ts';
import { gaussian } from './test-data.test-helpers.ts';

const options = { kidSubsets: 4, kidSubsetSize: 20 };

describe('features too large to compare', () => {
  it.each<ComputeMode>(['float64', 'tf'])('%s: ±3e38 is refused with the row, the column and the limit', async (mode) => {
    const compute = await createCompute(mode);
    const real = gaussian(30, 8, 1);
    const fake = gaussian(30, 8, 2);
    fake.data[3 * 8 + 5] = -3e38;
    fake.data[4 * 8] = 3e38;
    const run = () => evaluateFeatures(real, fake, { ...options, compute });
    expect(run).toThrow(MetricInputError);
    expect(run).toThrow(/fake features: value at row 3, column 5 is -3e\+38, beyond ±1000000 \(DEFAULTS\.featureMagnitude: the cubic KID kernel of larger values leaves float32\)/);
  });

  it('at the limit both paths give finite scores that agree', async () => {
    const scale = DEFAULTS.featureMagnitude / 8;
    const real = gaussian(40, 8, 3, 0, scale);
    const fake = gaussian(40, 8, 4, 0.5 * scale, scale);
    const a = evaluateFeatures(real, fake, { ...options, compute: await createCompute('float64') });
    const b = evaluateFeatures(real, fake, { ...options, compute: await createCompute('tf') });
    for (const [key, value] of Object.entries(a.scores)) {
      if (value === null) continue; // not computed here (fid: the features are of unknown origin, so fd_unknown)
      expect(Number.isFinite(value), key).toBe(true);
      expect(b.scores[key], key).toBeCloseTo(value!, Math.abs(value!) > 1 ? -Math.ceil(Math.log10(Math.abs(value!))) + 3 : 3);
    }
  });
});

describe('a score that is not finite', () => {
  it('is refused with its name and what to check, never reported as null', () => {
    const real = gaussian(30, 8, 5);
    const stats = featureStatistics(real);
    const huge = { ...stats, mu: stats.mu.map((v) => v + 1e200) }; // |μ_r − μ_f|² = 8e400: Infinity
    expect(() => evaluateFeatures(real, gaussian(30, 8, 6), { metrics: ['fid'], realStatistics: huge })).toThrow(
      /metrics: fd_unknown came out Infinity|metrics: fd_unknown came out NaN/,
    );
  });
});
