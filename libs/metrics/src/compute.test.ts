/**
 * The `tf` compute mode (native TensorFlow float32 block products, float64 accumulation) against the
 * exact float64 mode: FID to 1e-6 relative, KID to 1e-5, manifold metrics equal on well-separated
 * data, distances to float32 precision.
 */
import { describe, expect, it } from 'vitest';
import { createCompute } from './compute.ts';
import { pairwiseSquaredDistances } from './distances.ts';
import { evaluateFeatures } from './evaluate.ts';
import { frechetDistance } from './fid.ts';
import { loadCase } from './fixtures.test-helpers.ts';
import { featureStatistics } from './statistics.ts';
import { gaussian } from './test-data.test-helpers.ts';

describe('compute mode tf', async () => {
  const tf = await createCompute('tf');

  it('FID (offset, correlated features, 3000 × 64) equals float64 to 1e-6 relative', () => {
    const a = gaussian(3000, 64, 1, 20, 2);
    const b = gaussian(3000, 64, 2, 20.3, 2.1);
    const exact = frechetDistance(featureStatistics(a), featureStatistics(b)).value;
    const fast = frechetDistance(featureStatistics(a, { compute: tf }), featureStatistics(b, { compute: tf })).value;
    expect(Math.abs(fast - exact)).toBeLessThan(1e-6 * exact);
  });

  it('on the reference fixtures: FID 1e-6 relative, KID 1e-5, PR/DC/α-precision equal', () => {
    for (const name of ['gaussian-shift', 'correlated']) {
      const { real, fake } = loadCase(name);
      const exact = evaluateFeatures(real, fake, { kidSubsets: 10, kidSubsetSize: 100 });
      const fast = evaluateFeatures(real, fake, { kidSubsets: 10, kidSubsetSize: 100, compute: tf });
      expect(fast.provenance.compute).toBe('tf');
      const s = exact.scores;
      const f = fast.scores;
      expect(Math.abs(f.fd_unknown! - s.fd_unknown!)).toBeLessThan(1e-6 * s.fd_unknown!);
      expect(Math.abs(f.kid! - s.kid!)).toBeLessThan(1e-5);
      for (const key of ['precision', 'recall', 'density', 'coverage', 'alpha_precision']) expect(f[key], `${name} ${key}`).toBeCloseTo(s[key]!, 12);
    }
  });

  it('squared distances agree to float32 precision and a point to itself is exactly 0', () => {
    const x = gaussian(30, 16, 3);
    const y = gaussian(20, 16, 4);
    const exact = pairwiseSquaredDistances(x, y);
    const fast = pairwiseSquaredDistances(x, y, tf);
    for (let i = 0; i < exact.length; i++) expect(Math.abs(fast[i]! - exact[i]!)).toBeLessThan(1e-4 * (1 + exact[i]!));
    const self = pairwiseSquaredDistances(x, x, tf);
    for (let i = 0; i < 30; i++) expect(self[i * 30 + i]).toBe(0);
  });
});
