/**
 * Every metric against the independent numpy/scipy implementation (fixtures/make_fixtures.py) on
 * random, correlated, near-identical, memorised and tied (integer lattice) feature sets.
 */
import { describe, expect, it } from 'vitest';
import { alphaBetaAuthenticity } from './alpha-beta-authenticity.ts';
import { densityCoverage } from './density-coverage.ts';
import { frechetDistanceOfFeatures } from './fid.ts';
import { EXPECTED, loadCase } from './fixtures.test-helpers.ts';
import { kernelInceptionDistance } from './kid.ts';
import { precisionRecall } from './precision-recall.ts';

const REL = 1e-6;

describe.each(Object.entries(EXPECTED.cases))('reference fixture %s', (name, want) => {
  const { real, fake } = loadCase(name);

  it(`real=[${want.real}] fake=[${want.fake}] ${want.dtype}: shapes as written`, () => {
    expect([real.rows, real.cols]).toEqual(want.real);
    expect([fake.rows, fake.cols]).toEqual(want.fake);
  });

  it('FID equals scipy sqrtm to 1e-6 relative (the near-identical case too, FID ≈ 3e-7)', () => {
    const got = frechetDistanceOfFeatures(real, fake);
    expect(Math.abs(got.value - want.fid)).toBeLessThanOrEqual(REL * Math.abs(want.fid));
  });

  it(`KID (${EXPECTED.kid.subsets} seeded subsets of ${EXPECTED.kid.subsetSize}) equals the reference loop to 1e-5`, () => {
    const got = kernelInceptionDistance(real, fake, EXPECTED.kid);
    expect(got.m).toBe(want.kid.m);
    expect(got.subsets).toBe(want.kid.subsets);
    expect(Math.abs(got.value - want.kid.value)).toBeLessThanOrEqual(1e-5);
    expect(Math.abs(got.std - want.kid.std)).toBeLessThanOrEqual(1e-5);
  });

  it('KID with the defaults (100 × 1000) equals the reference loop to 1e-5', () => {
    const got = kernelInceptionDistance(real, fake);
    expect(got.m).toBe(want.kidDefault.m);
    expect(got.subsets).toBe(want.kidDefault.subsets);
    expect(Math.abs(got.value - want.kidDefault.value)).toBeLessThanOrEqual(1e-5);
    expect(Math.abs(got.std - want.kidDefault.std)).toBeLessThanOrEqual(1e-5);
  });

  it('precision/recall k=3 (NVlabs, ≤) equal', () => {
    const got = precisionRecall(real, fake);
    expect(got.precision).toBeCloseTo(want.precision, 12);
    expect(got.recall).toBeCloseTo(want.recall, 12);
  });

  it('density/coverage k=5 (prdc, <) equal', () => {
    const got = densityCoverage(real, fake);
    expect(Math.abs(got.density - want.density)).toBeLessThanOrEqual(REL * want.density + 1e-15);
    expect(got.coverage).toBeCloseTo(want.coverage, 12);
  });

  it('α-precision, β-recall (curves and summaries) and authenticity equal', () => {
    const got = alphaBetaAuthenticity(real, fake);
    expect(got.alphaPrecisionCurve).toEqual(want.alphaPrecisionCurve);
    expect(got.betaRecallCurve).toEqual(want.betaRecallCurve);
    expect(Math.abs(got.alphaPrecision - want.alphaPrecision)).toBeLessThanOrEqual(REL * Math.abs(want.alphaPrecision) + 1e-15);
    expect(Math.abs(got.betaRecall - want.betaRecall)).toBeLessThanOrEqual(REL * Math.abs(want.betaRecall) + 1e-15);
    expect(got.authenticity).toBeCloseTo(want.authenticity, 12);
  });
});
