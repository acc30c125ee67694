/**
 * Pivoted Cholesky of a symmetric positive semi-definite matrix (Higham, "Cholesky factorization",
 * WIREs Comp Stat 2009, §2.3; LAPACK dpstrf's algorithm, right-looking, unblocked):
 *
 *   P Σ Pᵀ = L Lᵀ,  L lower trapezoidal n×r, r = the numerical rank,
 *
 * where P moves the largest remaining diagonal to the front at every step. It stops when no
 * diagonal of the Schur complement exceeds the tolerance, so a singular Σ (n ≤ d samples) is
 * factored exactly on its range. Cost n³/6 multiply-adds at full rank.
 */

export interface LowRankFactor {
  /** Columns of L, column-major: column t at [t·n, t·n + n), in pivot order, zero above row t. */
  columns: Float64Array;
  /** n. */
  size: number;
  /** r, the number of columns kept. */
  rank: number;
  /** perm[i] = the original index of pivot-order row i (P Σ Pᵀ)[i][k] = Σ[perm[i]][perm[k]]. */
  perm: Int32Array;
}

/** Options for {@link pivotedCholesky}. */
export interface PivotedCholeskyOptions {
  /**
   * Stop when the largest remaining diagonal of the Schur complement is ≤ this. Default:
   * n · ε · max diag(Σ), the rounding level of the input (anything below is noise).
   */
  tolerance?: number;
}

/** Swap indices a < b of the symmetric matrix whose lower triangle `w` (row-major n×n) holds. */
function symmetricSwap(w: Float64Array, n: number, a: number, b: number): void {
  const swap = (i: number, j: number) => {
    const t = w[i]!;
    w[i] = w[j]!;
    w[j] = t;
  };
  swap(a * n + a, b * n + b);
  for (let k = 0; k < a; k++) swap(a * n + k, b * n + k); // rows a, b left of a
  for (let k = a + 1; k < b; k++) swap(k * n + a, b * n + k); // column a between ↔ row b between
  for (let k = b + 1; k < n; k++) swap(k * n + a, k * n + b); // columns a, b below b
}

/** Factor the symmetric PSD matrix `sigma` (row-major n×n; the lower triangle is read). */
export function pivotedCholesky(sigma: Float64Array, n: number, options: PivotedCholeskyOptions = {}): LowRankFactor {
  const w = Float64Array.from(sigma);
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, w[i * n + i]!);
  const tolerance = options.tolerance ?? n * Number.EPSILON * maxDiag;
  const col = new Float64Array(n);
  let rank = 0;
  for (let j = 0; j < n; j++) {
    // Pivot: the largest remaining diagonal.
    let q = -1;
    let best = tolerance;
    for (let i = j; i < n; i++) {
      const v = w[i * n + i]!;
      if (v > best) {
        best = v;
        q = i;
      }
    }
    if (q < 0) break;
    if (q !== j) {
      symmetricSwap(w, n, j, q);
      const t = perm[j]!;
      perm[j] = perm[q]!;
      perm[q] = t;
    }
    // Column j of L.
    const root = Math.sqrt(w[j * n + j]!);
    w[j * n + j] = root;
    for (let i = j + 1; i < n; i++) {
      const v = w[i * n + j]! / root;
      w[i * n + j] = v;
      col[i] = v;
    }
    // Schur complement update of the trailing lower triangle: W[i][k] −= l_i l_k.
    for (let i = j + 1; i < n; i++) {
      const li = col[i]!;
      if (li === 0) continue;
      const row = i * n;
      for (let k = j + 1; k <= i; k++) w[row + k]! -= li * col[k]!;
    }
    rank = j + 1;
  }
  const columns = new Float64Array(rank * n);
  for (let t = 0; t < rank; t++) for (let i = t; i < n; i++) columns[t * n + i] = w[i * n + t]!;
  return { columns, size: n, rank, perm };
}
