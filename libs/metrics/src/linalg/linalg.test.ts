import { describe, expect, it } from 'vitest';
import { traceSqrtProduct } from '../fid.ts';
import { gaussian, randomPsd } from '../test-data.test-helpers.ts';
import { pivotedCholesky } from './pivoted-cholesky.ts';
import { symmetricEigen } from './symmetric-eigen.ts';

function symmetric(n: number, seed: number): Float64Array {
  const g = gaussian(n, n, seed).data;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = g[Math.max(i, j) * n + Math.min(i, j)]!;
  return a;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

describe('symmetricEigen', () => {
  it.each([1, 2, 3, 8, 33, 100])('n=%i random: A V = V Λ, Vᵀ V = I, Σλ = Tr A, ascending', (n) => {
    const a = symmetric(n, n);
    const { values, vectors } = symmetricEigen(a, n, { vectors: true });
    const v = vectors!;
    const scale = maxAbs(a) * n;
    for (let k = 0; k < n; k++) {
      for (let i = 0; i < n; i++) {
        let av = 0;
        for (let j = 0; j < n; j++) av += a[i * n + j]! * v[j * n + k]!;
        expect(Math.abs(av - values[k]! * v[i * n + k]!)).toBeLessThan(1e-13 * scale);
      }
      for (let l = 0; l < n; l++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += v[i * n + k]! * v[i * n + l]!;
        expect(Math.abs(dot - (k === l ? 1 : 0))).toBeLessThan(1e-13 * n);
      }
    }
    let trace = 0;
    for (let i = 0; i < n; i++) trace += a[i * n + i]!;
    expect(values.reduce((s, x) => s + x, 0)).toBeCloseTo(trace, 10);
    for (let k = 1; k < n; k++) expect(values[k]!).toBeGreaterThanOrEqual(values[k - 1]!);
  });

  it('eigenvalues alone equal those computed with vectors', () => {
    const a = symmetric(40, 7);
    const withVectors = symmetricEigen(a, 40, { vectors: true }).values;
    const alone = symmetricEigen(a, 40).values;
    for (let k = 0; k < 40; k++) expect(alone[k]!).toBeCloseTo(withVectors[k]!, 12);
  });

  it('diagonal, repeated and zero eigenvalues are exact', () => {
    const a = new Float64Array([3, 0, 0, 0, 0, 1, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0]);
    expect(Array.from(symmetricEigen(a, 4).values)).toEqual([0, 1, 3, 3]);
    expect(Array.from(symmetricEigen(new Float64Array(9), 3).values)).toEqual([0, 0, 0]);
  });

  it('2×2 [[2,1],[1,2]] has eigenvalues 1 and 3', () => {
    const { values } = symmetricEigen(new Float64Array([2, 1, 1, 2]), 2);
    expect(values[0]).toBeCloseTo(1, 15);
    expect(values[1]).toBeCloseTo(3, 15);
  });

  it('does not modify its input unless inPlace', () => {
    const a = symmetric(10, 3);
    const copy = Float64Array.from(a);
    symmetricEigen(a, 10);
    expect(a).toEqual(copy);
  });

  it('throws when the size does not match', () => {
    expect(() => symmetricEigen(new Float64Array(5), 2)).toThrow(/expected 2×2 = 4 values, got 5/);
  });
});

describe('pivotedCholesky', () => {
  it.each([[20, 20], [20, 7], [30, 1]])('n=%i rank=%i: L Lᵀ = P Σ Pᵀ, L lower trapezoidal, the rank is found', (n, r) => {
    const s = randomPsd(n, r, n + r);
    const f = pivotedCholesky(s, n);
    expect(f.rank).toBe(r);
    const rebuilt = new Float64Array(n * n);
    for (let t = 0; t < f.rank; t++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) rebuilt[i * n + j]! += f.columns[t * n + i]! * f.columns[t * n + j]!;
    let err = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) err = Math.max(err, Math.abs(rebuilt[i * n + j]! - s[f.perm[i]! * n + f.perm[j]!]!));
    for (let t = 0; t < f.rank; t++) for (let i = 0; i < t; i++) expect(f.columns[t * n + i]).toBe(0);
    expect([...f.perm].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(err).toBeLessThan(1e-12 * maxAbs(s));
  });

  it('a zero matrix has rank 0', () => {
    expect(pivotedCholesky(new Float64Array(16), 4).rank).toBe(0);
  });
});

describe('traceSqrtProduct', () => {
  it.each([[12, 12, 12], [12, 5, 12], [12, 12, 4], [16, 6, 9]])('d=%i rank Σ₁=%i rank Σ₂=%i: cholesky and eigh forms agree', (d, r1, r2) => {
    const s1 = randomPsd(d, r1, 100 + r1);
    const s2 = randomPsd(d, r2, 200 + r2);
    const a = traceSqrtProduct(s1, s2, d, 'cholesky').value;
    const b = traceSqrtProduct(s1, s2, d, 'eigh').value;
    expect(Math.abs(a - b)).toBeLessThan(1e-6 * Math.abs(b));
  });

  it('Tr (Σ Σ)^{1/2} = Tr Σ for PSD Σ, singular too', () => {
    for (const r of [10, 3]) {
      const s = randomPsd(10, r, r);
      let trace = 0;
      for (let i = 0; i < 10; i++) trace += s[i * 10 + i]!;
      expect(traceSqrtProduct(s, s, 10).value).toBeCloseTo(trace, 6);
    }
  });

  it('diagonal matrices: Σ √(a_i b_i)', () => {
    const a = new Float64Array([4, 0, 0, 0, 9, 0, 0, 0, 1]);
    const b = new Float64Array([1, 0, 0, 0, 4, 0, 0, 0, 0]);
    expect(traceSqrtProduct(a, b, 3).value).toBeCloseTo(2 + 6, 12);
  });

  it('throws on mismatched sizes', () => {
    expect(() => traceSqrtProduct(new Float64Array(4), new Float64Array(9), 2)).toThrow(/expected two 2×2 matrices/);
  });
});
