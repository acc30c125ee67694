/**
 * Dense float64 products the FID trace term needs, written as contiguous dot products with 2×2 or
 * 4-wide register blocking (plain JavaScript has no SIMD; this is what keeps d = 2048 in seconds).
 */
import type { LowRankFactor } from './pivoted-cholesky.ts';

/**
 * M = Lᵀ (P S Pᵀ) L for a symmetric n×n `s` (row-major) and a pivoted-Cholesky factor (L lower
 * trapezoidal n×r in pivot order P): r×r, row-major, symmetric. L's zeros above the diagonal are
 * skipped, so the cost is about n³/2 + n³/6 multiply-adds at full rank.
 */
export function congruence(s: Float64Array, factor: LowRankFactor): Float64Array {
  const { size: n, rank: r, columns: l, perm } = factor;
  // S in pivot order.
  const sp = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const src = perm[i]! * n;
    const dst = i * n;
    for (let k = 0; k < n; k++) sp[dst + k] = s[src + perm[k]!]!;
  }
  // T = S_p L, column-major (column t at t·n). Column t of L is zero above row t, so the dot
  // products of a block of four columns start at the block's first row.
  const t = new Float64Array(n * r);
  let c = 0;
  for (; c + 4 <= r; c += 4) {
    const o0 = c * n, o1 = o0 + n, o2 = o1 + n, o3 = o2 + n;
    for (let i = 0; i < n; i++) {
      const row = i * n;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (let k = c; k < n; k++) {
        const sik = sp[row + k]!;
        a0 += sik * l[o0 + k]!;
        a1 += sik * l[o1 + k]!;
        a2 += sik * l[o2 + k]!;
        a3 += sik * l[o3 + k]!;
      }
      t[o0 + i] = a0;
      t[o1 + i] = a1;
      t[o2 + i] = a2;
      t[o3 + i] = a3;
    }
  }
  for (; c < r; c++) {
    const o = c * n;
    for (let i = 0; i < n; i++) {
      const row = i * n;
      let acc = 0;
      for (let k = c; k < n; k++) acc += sp[row + k]! * l[o + k]!;
      t[o + i] = acc;
    }
  }
  // M[a][b] = l_a · t_b for b ≤ a (l_a is zero above row a), mirrored.
  const m = new Float64Array(r * r);
  for (let a = 0; a < r; a++) {
    const la = a * n;
    let b = 0;
    for (; b + 2 <= a + 1; b += 2) {
      const tb0 = b * n, tb1 = tb0 + n;
      let s0 = 0, s1 = 0;
      for (let i = a; i < n; i++) {
        const x = l[la + i]!;
        s0 += x * t[tb0 + i]!;
        s1 += x * t[tb1 + i]!;
      }
      m[a * r + b] = s0;
      m[a * r + b + 1] = s1;
    }
    for (; b <= a; b++) {
      const tb = b * n;
      let acc = 0;
      for (let i = a; i < n; i++) acc += l[la + i]! * t[tb + i]!;
      m[a * r + b] = acc;
    }
  }
  mirrorLower(m, r);
  return m;
}

/**
 * C += Yᵀ Y (lower triangle only) for a block Y given column-major: `yt` is d×b (row i = feature i
 * over the b rows of the block). Cost d²b/2 multiply-adds, 2×2 blocked.
 */
export function addGramLower(c: Float64Array, yt: Float64Array, d: number, b: number): void {
  let i = 0;
  for (; i + 2 <= d; i += 2) {
    const xi0 = i * b, xi1 = xi0 + b;
    const ci0 = i * d, ci1 = ci0 + d;
    let j = 0;
    for (; j + 2 <= i + 2; j += 2) {
      const xj0 = j * b, xj1 = xj0 + b;
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0;
      for (let r = 0; r < b; r++) {
        const a0 = yt[xi0 + r]!, a1 = yt[xi1 + r]!;
        const b0 = yt[xj0 + r]!, b1 = yt[xj1 + r]!;
        s00 += a0 * b0;
        s01 += a0 * b1;
        s10 += a1 * b0;
        s11 += a1 * b1;
      }
      c[ci0 + j]! += s00;
      c[ci0 + j + 1]! += s01; // upper-triangle spill when j+1 = i+1: harmless, mirrored away later
      c[ci1 + j]! += s10;
      c[ci1 + j + 1]! += s11;
    }
  }
  for (; i < d; i++) {
    const xi = i * b, ci = i * d;
    for (let j = 0; j <= i; j++) {
      const xj = j * b;
      let acc = 0;
      for (let r = 0; r < b; r++) acc += yt[xi + r]! * yt[xj + r]!;
      c[ci + j]! += acc;
    }
  }
}

/** Copy the lower triangle of a row-major n×n matrix onto its upper triangle. */
export function mirrorLower(c: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) c[j * n + i] = c[i * n + j]!;
}
