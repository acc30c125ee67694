import { describe, expect, it } from 'vitest';
import { cohenKappa, fleissKappa, ratingCounts } from './agreement.ts';

/** Expand a 2×2 table (rater A's answer × rater B's answer) into two rating lists. */
function fromTable(yy: number, yn: number, ny: number, nn: number): [string[], string[]] {
  const a: string[] = [];
  const b: string[] = [];
  const add = (k: number, x: string, y: string) => {
    for (let i = 0; i < k; i++) {
      a.push(x);
      b.push(y);
    }
  };
  add(yy, 'yes', 'yes');
  add(yn, 'yes', 'no');
  add(ny, 'no', 'yes');
  add(nn, 'no', 'no');
  return [a, b];
}

describe('cohenKappa', () => {
  it('yes/yes 20, yes/no 5, no/yes 10, no/no 15 → p_o 0.7, p_e 0.5, κ = 0.4 (the textbook table)', () => {
    expect(cohenKappa(...fromTable(20, 5, 10, 15))).toBeCloseTo(0.4, 12);
  });

  it('yes/yes 45, yes/no 15, no/yes 25, no/no 15 → κ = 0.1304 (p_o 0.6, p_e 0.54)', () => {
    expect(cohenKappa(...fromTable(45, 15, 25, 15))).toBeCloseTo((0.6 - 0.54) / 0.46, 12);
  });

  it('identical ratings with both categories → κ = 1; perfectly opposite balanced ratings → κ = −1', () => {
    expect(cohenKappa(['real', 'synthetic', 'real'], ['real', 'synthetic', 'real'])).toBe(1);
    expect(cohenKappa(['real', 'synthetic'], ['synthetic', 'real'])).toBe(-1);
  });

  it('both raters always in one category → null (p_e = 1: κ is undefined), never NaN', () => {
    expect(cohenKappa(['real', 'real'], ['real', 'real'])).toBeNull();
    expect(cohenKappa([], [])).toBeNull();
  });

  it('throws when the raters rated different numbers of items', () => {
    expect(() => cohenKappa(['a'], ['a', 'b'])).toThrow(/rated 1 and 2 items/);
  });
});

describe('fleissKappa', () => {
  it("Fleiss' worked example (10 items, 14 raters, 5 categories) → κ = 4211/20059 ≈ 0.2099", () => {
    const table = [
      [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
      [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
    ];
    expect(fleissKappa(table)).toBeCloseTo(4211 / 20059, 12);
  });

  it('equals Cohen-like 1 for unanimous raters with both categories used, and null with one category only', () => {
    expect(fleissKappa([[3, 0], [0, 3]])).toBe(1);
    expect(fleissKappa([[3, 0], [3, 0]])).toBeNull();
  });

  it('with two raters equals Scott\'s π: (p_o − p̄_e)/(1 − p̄_e) over pooled frequencies', () => {
    const [a, b] = fromTable(20, 5, 10, 15);
    const counts = ratingCounts([a, b], ['yes', 'no']);
    // pooled: yes = (25 + 30)/100 = 0.55, no = 0.45 → p_e = 0.505; p_o = 0.7 → π = 0.195/0.495.
    expect(fleissKappa(counts)).toBeCloseTo(0.195 / 0.495, 12);
  });

  it('throws when items have different numbers of raters, or fewer than two', () => {
    expect(() => fleissKappa([[2, 1], [1, 1]])).toThrow(/item 1 has 2 raters, item 0 has 3/);
    expect(() => fleissKappa([[1, 0]])).toThrow(/at least 2 raters/);
  });
});

describe('ratingCounts', () => {
  it('counts each item\'s raters per category, in the categories\' order', () => {
    expect(ratingCounts([['a', 'b'], ['a', 'a'], ['b', 'a']], ['a', 'b'])).toEqual([[2, 1], [2, 1]]);
  });
});
