import { describe, expect, it } from 'vitest';
import { crossNeighbours, forEachDistanceBlock, kthNeighbourRadii, pairwiseSquaredDistances, smallestDistances } from './distances.ts';
import { loadCase } from './fixtures.test-helpers.ts';
import { gaussian } from './test-data.test-helpers.ts';

const x = gaussian(53, 9, 1);
const y = gaussian(41, 9, 2, 0.5);

describe('blocked distances', () => {
  it('every entry is Σ (x_c − y_c)² of the two rows', () => {
    const full = pairwiseSquaredDistances(x, y);
    for (const [i, j] of [[0, 0], [52, 40], [17, 3]] as const) {
      let s = 0;
      for (let c = 0; c < 9; c++) s += (x.data[i * 9 + c]! - y.data[j * 9 + c]!) ** 2;
      expect(full[i * 41 + j]).toBe(s);
    }
  });

  it.each([1, 2, 7, 16, 64])('block=%i tiles the full matrix with bit-identical values', (block) => {
    const full = pairwiseSquaredDistances(x, y);
    const seen = new Float64Array(53 * 41).fill(NaN);
    forEachDistanceBlock(x, y, (b, i0, j0, rows, cols) => {
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) seen[(i0 + i) * 41 + j0 + j] = b[i * cols + j]!;
    }, undefined, block);
    expect(seen).toEqual(full);
  });

  it('a point to itself is exactly 0', () => {
    const full = pairwiseSquaredDistances(x, x);
    for (let i = 0; i < 53; i++) expect(full[i * 53 + i]).toBe(0);
  });

  it.each([1, 5, 16])('k smallest per row (block=%i) equal sorting the full row', (block) => {
    const full = pairwiseSquaredDistances(x, y);
    const got = smallestDistances(x, y, 4, undefined, block);
    for (let i = 0; i < 53; i++) {
      const row = Array.from(full.subarray(i * 41, (i + 1) * 41)).sort((a, b) => a - b);
      expect(Array.from(got.subarray(i * 4, i * 4 + 4))).toEqual(row.slice(0, 4));
    }
  });

  it('kth-neighbour radius is the (k+1)-th smallest with self included; duplicates count at 0', () => {
    const { real } = loadCase('ties-lattice');
    const full = pairwiseSquaredDistances(real, real);
    const r = kthNeighbourRadii(real, 3, undefined, 7);
    for (let i = 0; i < real.rows; i++) {
      const row = Array.from(full.subarray(i * real.rows, (i + 1) * real.rows)).sort((a, b) => a - b);
      expect(r[i]).toBe(row[3]);
    }
  });

  it.each([3, 64])('crossNeighbours (block=%i) equals brute force: nearest (first on ties) and ball counts (≤ and <)', (block) => {
    const { real, fake } = loadCase('ties-lattice'); // integer features: many exact ties
    const rr = kthNeighbourRadii(real, 3);
    const rf = kthNeighbourRadii(fake, 3);
    const got = crossNeighbours(fake, real, [{ radii2: rr, inclusive: true }, { radii2: rr, inclusive: false }], [{ radii2: rf, inclusive: true }], undefined, block);
    const d = pairwiseSquaredDistances(fake, real);
    const nf = fake.rows;
    const nr = real.rows;
    for (let g = 0; g < nf; g++) {
      let best = Infinity;
      let arg = -1;
      let le = 0;
      let lt = 0;
      for (let r = 0; r < nr; r++) {
        const v = d[g * nr + r]!;
        if (v < best) [best, arg] = [v, r];
        if (v <= rr[r]!) le++;
        if (v < rr[r]!) lt++;
      }
      expect([got.aNearest.d2[g], got.aNearest.index[g], got.aInBBalls[0]![g], got.aInBBalls[1]![g]]).toEqual([best, arg, le, lt]);
    }
    for (let r = 0; r < nr; r++) {
      let best = Infinity;
      let arg = -1;
      let inFake = 0;
      for (let g = 0; g < nf; g++) {
        const v = d[g * nr + r]!;
        if (v < best) [best, arg] = [v, g];
        if (v <= rf[g]!) inFake++;
      }
      expect([got.bNearest.d2[r], got.bNearest.index[r], got.bInABalls[0]![r]]).toEqual([best, arg, inFake]);
    }
  });
});
