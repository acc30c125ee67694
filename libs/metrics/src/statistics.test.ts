import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { frechetDistance, frechetDistanceOfFeatures } from './fid.ts';
import { FIXTURES, EXPECTED, loadCase } from './fixtures.test-helpers.ts';
import { rowSlice } from './features-matrix.ts';
import { featureStatistics, featureStatisticsTwoPass, MomentAccumulator, type FeatureStatistics } from './statistics.ts';
import { decodeStatsNpz, readStatistics, writeStatistics } from './stats-io.ts';
import { gaussian, permuteRows } from './test-data.test-helpers.ts';

function maxRelDiff(a: FeatureStatistics, b: FeatureStatistics): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < a.sigma.length; i++) {
    scale = Math.max(scale, Math.abs(b.sigma[i]!));
    diff = Math.max(diff, Math.abs(a.sigma[i]! - b.sigma[i]!));
  }
  for (let i = 0; i < a.mu.length; i++) diff = Math.max(diff, Math.abs(a.mu[i]! - b.mu[i]!));
  return diff / scale;
}

describe('MomentAccumulator (streaming mean and N−1 covariance)', () => {
  const x = gaussian(1037, 24, 1, 50, 3); // a large offset: the case naive Σxxᵀ − nμμᵀ gets wrong

  it.each([1, 7, 128, 5000])('blockRows=%i equals the two-pass in-memory statistics', (blockRows) => {
    const got = featureStatistics(x, { blockRows });
    expect(got.n).toBe(1037);
    expect(maxRelDiff(got, featureStatisticsTwoPass(x))).toBeLessThan(1e-12);
  });

  it('batches of any size (1, 13, 500, rest) give the same statistics as one batch', () => {
    const acc = new MomentAccumulator(24);
    let start = 0;
    for (const size of [1, 13, 500, 1037 - 514]) {
      acc.add(rowSlice(x, start, size));
      start += size;
    }
    expect(acc.count).toBe(1037);
    expect(maxRelDiff(acc.finish(), featureStatistics(x))).toBeLessThan(1e-12);
  });

  it('streaming FID equals in-memory (two-pass) FID on the fixtures', () => {
    for (const name of Object.keys(EXPECTED.cases)) {
      const { real, fake } = loadCase(name);
      const streamed = frechetDistance(featureStatistics(real, { blockRows: 17 }), featureStatistics(fake, { blockRows: 17 })).value;
      const inMemory = frechetDistance(featureStatisticsTwoPass(real), featureStatisticsTwoPass(fake)).value;
      expect(Math.abs(streamed - inMemory)).toBeLessThanOrEqual(1e-6 * Math.abs(inMemory));
    }
  });

  it('row order changes nothing (FID of permuted rows)', () => {
    const { real, fake } = loadCase('correlated');
    const a = frechetDistanceOfFeatures(real, fake).value;
    const b = frechetDistanceOfFeatures(permuteRows(real, 1), permuteRows(fake, 2)).value;
    expect(Math.abs(a - b)).toBeLessThan(1e-10 * a);
  });

  it('FID of a set with itself is 0, also when n ≤ d (singular covariances)', () => {
    for (const [n, d] of [[300, 16], [10, 32]] as const) {
      const x1 = gaussian(n, d, n);
      const r = frechetDistanceOfFeatures(x1, x1);
      expect(Math.abs(r.value)).toBeLessThan(1e-9 * r.traceTerm);
    }
  });

  it('throws on a wrong width, a NaN, and fewer than 2 rows', () => {
    const acc = new MomentAccumulator(3);
    expect(() => acc.add({ data: new Float64Array(4), rows: 2, cols: 2 })).toThrow(/expected 3-d rows, got 2-d/);
    expect(() => acc.add({ data: new Float64Array([1, NaN, 2]), rows: 1, cols: 3 })).toThrow(/row 0 column 1 is NaN/);
    const one = new MomentAccumulator(2);
    one.add({ data: new Float64Array([1, 2]), rows: 1, cols: 2 });
    expect(() => one.finish()).toThrow(/at least 2 rows, got 1/);
  });
});

describe('statistics files', () => {
  const { real } = loadCase('gaussian-shift');
  const mine = featureStatistics(real);

  it.each(['gaussian-shift.real-stats.npz', 'gaussian-shift.real-stats-compressed.npz'])('reads numpy %s (np.mean, np.cov) equal to our statistics', (file) => {
    const theirs = decodeStatsNpz(readFileSync(join(FIXTURES, file)), file);
    expect(theirs.d).toBe(16);
    expect(maxRelDiff(theirs, mine)).toBeLessThan(1e-12);
  });

  it('reads n when numpy stored it', () => {
    expect(decodeStatsNpz(readFileSync(join(FIXTURES, 'gaussian-shift.real-stats.npz'))).n).toBe(300);
  });

  it.each(['stats.npz', 'stats.json'])('round-trips through %s exactly, FID from stored statistics unchanged', async (name) => {
    const dir = mkdtempSync(join(tmpdir(), 'dermagan-stats-'));
    const path = join(dir, name);
    await writeStatistics(path, { ...mine, provenance: { extractor: 'test' } });
    const back = await readStatistics(path);
    expect(back.n).toBe(mine.n);
    expect(back.mu).toEqual(mine.mu);
    expect(back.sigma).toEqual(mine.sigma);
    if (name.endsWith('.json')) expect(back.provenance).toEqual({ extractor: 'test' });
    const { fake } = loadCase('gaussian-shift');
    expect(frechetDistance(back, featureStatistics(fake)).value).toBe(frechetDistance(mine, featureStatistics(fake)).value);
  });

  it('says what is wrong with a bad file', async () => {
    await expect(readStatistics('/no/such/stats.npz')).rejects.toThrow(/cannot read statistics \/no\/such\/stats.npz: ENOENT/);
    expect(() => decodeStatsNpz(Buffer.from('not a zip at all, just some bytes'))).toThrow(/not a zip archive/);
    await expect(writeStatistics('/tmp/x.txt', mine)).rejects.toThrow(/statistics files are .npz or .json/);
  });
});
