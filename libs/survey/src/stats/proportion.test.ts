import { describe, expect, it } from 'vitest';
import { binomialTestTwoSided, wilsonInterval } from './proportion.ts';

const Z = 1.959963984540054;

describe('wilsonInterval', () => {
  it('0 of n → [0, z²/(n + z²)]; n of n → [n/(n + z²), 1] (the closed forms at the edges)', () => {
    expect(wilsonInterval(0, 10)![0]).toBeCloseTo(0, 12);
    expect(wilsonInterval(0, 10)![1]).toBeCloseTo((Z * Z) / (10 + Z * Z), 12);
    expect(wilsonInterval(10, 10)![0]).toBeCloseTo(10 / (10 + Z * Z), 12);
    expect(wilsonInterval(10, 10)![1]).toBeCloseTo(1, 12);
  });

  it('is symmetric around 1/2 for k = n/2, and null for n = 0', () => {
    const [lo, hi] = wilsonInterval(50, 100)!;
    expect(lo + hi).toBeCloseTo(1, 12);
    expect(wilsonInterval(0, 0)).toBeNull();
  });
});

describe('binomialTestTwoSided', () => {
  it('7 of 20 at p0 = 0.5 → 2·P(X ≤ 7) = 275960/1048576 (R: binom.test(7, 20) p = 0.2632)', () => {
    expect(binomialTestTwoSided(7, 20)).toBeCloseTo(275960 / 1048576, 12);
  });

  it('10 of 20 at p0 = 0.5 → 1; 0 of 10 → 2/1024', () => {
    expect(binomialTestTwoSided(10, 20)).toBeCloseTo(1, 12);
    expect(binomialTestTwoSided(0, 10)).toBeCloseTo(2 / 1024, 12);
  });

  it('asymmetric p0: 3 of 10 at p0 = 0.1 sums the outcomes no likelier than 3 (R: 0.07019)', () => {
    // P(X=k) for n=10, p=0.1; outcomes with P ≤ P(3) = 0.0573956 are k ≥ 3.
    let tail = 0;
    for (let k = 3; k <= 10; k++) tail += comb(10, k) * 0.1 ** k * 0.9 ** (10 - k);
    expect(binomialTestTwoSided(3, 10, 0.1)).toBeCloseTo(tail, 12);
    expect(tail).toBeCloseTo(0.07019, 5);
  });

  it('throws outside 0 ≤ k ≤ n', () => {
    expect(() => binomialTestTwoSided(11, 10)).toThrow(/0 ≤ k ≤ n/);
  });
});

function comb(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return c;
}
