/**
 * Properties every metric must have whatever the reference says: row order changes nothing,
 * identical sets score perfectly, mode collapse shows as high precision and low recall,
 * memorised fakes are not authentic, and bad input is refused with a precise message.
 */
import { describe, expect, it } from 'vitest';
import { alphaBetaAuthenticity } from './alpha-beta-authenticity.ts';
import { densityCoverage } from './density-coverage.ts';
import { evaluateFeatures } from './evaluate.ts';
import { loadCase } from './fixtures.test-helpers.ts';
import { kernelInceptionDistance } from './kid.ts';
import { precisionRecall } from './precision-recall.ts';
import { gaussian, permuteRows } from './test-data.test-helpers.ts';
import { KEY_FID } from './keys.ts';

describe('row-permutation invariance', () => {
  // β-recall and authenticity follow the reference in taking the *first* nearest neighbour when
  // several are equally near, so on exactly tied data (the integer lattice) they may depend on
  // row order; every other metric never does.
  const ALL = ['precision', 'recall', 'density', 'coverage', 'alpha_precision', 'beta_recall', 'authenticity'];
  const TIE_FREE = ['precision', 'recall', 'density', 'coverage', 'alpha_precision'];
  it.each([['gaussian-shift', ALL], ['memorised', ALL], ['ties-lattice', TIE_FREE]] as const)('%s: %j and FID unchanged when rows are shuffled', (name, keys) => {
    const { real, fake } = loadCase(name);
    const a = evaluateFeatures(real, fake, { metrics: ['fid', 'pr', 'dc', 'auth'] });
    const b = evaluateFeatures(permuteRows(real, 3), permuteRows(fake, 4), { metrics: ['fid', 'pr', 'dc', 'auth'] });
    for (const key of keys) {
      expect(b.scores[key], key).toBeCloseTo(a.scores[key]!, 12);
    }
    expect(Math.abs(b.scores.fd_unknown! - a.scores.fd_unknown!)).toBeLessThan(1e-9 * Math.max(1, a.scores.fd_unknown!));
  });

  it('KID with one deterministic subset (both sets exactly m rows) is unchanged by shuffling and by the seed', () => {
    const { real, fake } = loadCase('correlated');
    const a = kernelInceptionDistance(real, fake, { seed: 1 });
    const b = kernelInceptionDistance(permuteRows(real, 5), permuteRows(fake, 6), { seed: 99 });
    expect(a.subsets).toBe(1);
    expect(a.std).toBe(0);
    expect(Math.abs(a.value - b.value)).toBeLessThan(1e-12);
  });
});

describe('behaviour', () => {
  const real = gaussian(200, 8, 11);

  it('identical sets: precision = recall = coverage = 1, authenticity = 0, density ≈ 1', () => {
    const pr = precisionRecall(real, real);
    const dc = densityCoverage(real, real);
    const ab = alphaBetaAuthenticity(real, real);
    expect([pr.precision, pr.recall, dc.coverage, ab.authenticity]).toEqual([1, 1, 1, 0]);
    expect(dc.density).toBeGreaterThan(0.8);
  });

  it('mode collapse (fakes from a small region) gives high precision and low recall', () => {
    const collapsed = gaussian(200, 8, 12, 0, 0.1);
    const pr = precisionRecall(real, collapsed);
    expect(pr.precision).toBeGreaterThan(0.9);
    expect(pr.recall).toBeLessThan(0.2);
  });

  it('memorised fakes (exact copies) are never authentic; fresh samples mostly are', () => {
    const copies = { data: real.data.slice(0, 50 * 8), rows: 50, cols: 8 };
    expect(alphaBetaAuthenticity(real, copies).authenticity).toBe(0);
    expect(alphaBetaAuthenticity(real, gaussian(200, 8, 13)).authenticity).toBeGreaterThan(0.5);
  });

  it('a shifted fake set scores worse on every axis than a fresh sample of the same law', () => {
    const same = evaluateFeatures(real, gaussian(200, 8, 14), { kidSubsets: 5, kidSubsetSize: 100 });
    const shifted = evaluateFeatures(real, gaussian(200, 8, 15, 1.5), { kidSubsets: 5, kidSubsetSize: 100 });
    expect(shifted.scores.fd_unknown!).toBeGreaterThan(same.scores.fd_unknown!);
    expect(shifted.scores.kid!).toBeGreaterThan(same.scores.kid!);
    expect(shifted.scores.precision!).toBeLessThan(same.scores.precision!);
    expect(shifted.scores.coverage!).toBeLessThan(same.scores.coverage!);
  });
});

describe('evaluateFeatures: keys and provenance', () => {
  const { real, fake } = loadCase('gaussian-shift');

  it('calls the Fréchet distance fid only in the Inception pool3 space', () => {
    const inception = evaluateFeatures(real, fake, { metrics: ['fid'], extractor: { id: 'inception-v3-pool3', hash: 'abc', inputSize: 299, resize: 'pil-bicubic' } });
    expect(inception.frechetKey).toBe(KEY_FID);
    expect(inception.scores.fid).toBeCloseTo(2.667978294229826, 10);
    const other = evaluateFeatures(real, fake, { metrics: ['fid'], extractor: { id: 'pixels-rp64', hash: 'def', inputSize: 16, resize: 'pil-bicubic' } });
    expect(other.frechetKey).toBe('fd_pixels_rp64');
    expect(other.scores.fid).toBeNull();
    expect(other.scores.fd_pixels_rp64).toBeCloseTo(2.667978294229826, 10);
  });

  it('records extractor, counts, seeds, options, compute and version', () => {
    const r = evaluateFeatures(real, fake, { kidSeed: 5, kidSubsets: 3, kidSubsetSize: 50 });
    expect(r.provenance).toMatchObject({
      extractor: { id: 'unknown', hash: null },
      nReal: 300,
      nFake: 250,
      featureDim: 16,
      seeds: { kid: 5 },
      compute: 'float64',
      options: { kidSubsets: 3, kidSubsetSize: 50, prK: 3, dcK: 5, prComparison: '<=', dcComparison: '<' },
    });
    expect(r.provenance.dermaganVersion).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('bad input', () => {
  const ok = gaussian(10, 4, 1);
  it('refuses NaN, mismatched widths, too few samples for k, inconsistent shapes', () => {
    const nan = gaussian(10, 4, 2);
    nan.data[13] = NaN;
    expect(() => evaluateFeatures(ok, nan)).toThrow(/fake features: value at row 3, column 1 is NaN/);
    expect(() => evaluateFeatures(ok, gaussian(10, 5, 3))).toThrow(/4-d but fake features are 5-d/);
    expect(() => evaluateFeatures(ok, gaussian(5, 4, 4))).toThrow(/needs at least 6 samples, got 5/);
    expect(() => precisionRecall(ok, gaussian(3, 4, 5))).toThrow(/needs at least 4 samples, got 3/);
    expect(() => kernelInceptionDistance(ok, { data: new Float64Array(7), rows: 2, cols: 4 })).toThrow(/shape \[2, 4\] needs 8 values, got 7/);
  });
});
