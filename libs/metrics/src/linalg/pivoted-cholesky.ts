/**
 * Pivoted Cholesky of a symmetric positive semi-definite matrix: Σ = L Lᵀ with L of shape n×r,
 * r = the numerical rank (Higham, "Cholesky factorization", WIREs Comp Stat 2009, §2.3).
 *
 * L's rows stay in the original index order (the pivoting only decides which column is made next),
 * so no permutation has to be carried: Σ ≈ Σ_t l_t l_tᵀ over the stored columns l_t.
 */

export interface LowRankFactor {
  /** Columns l_0 … l_{r-1}, each of length n, stored one after another (column-major n×r). */
  columns: Float64Array;
  /** n. */
  size: number;
  /** r, the number of columns kept. */
  rank: number;
}

/** Options for {@link pivotedCholesky}. */
export interface PivotedCholeskyOptions {
  /**
   * Stop when the largest remaining diagonal of the Schur complement is ≤ this. Default:
   * n · ε · max diag(Σ), the rounding level of the input (anything below is noise).
   */
  tolerance?: number;
}

/** Factor the symmetric PSD matrix `sigma` (row-major n×n; both triangles must hold the same values). */
export function pivotedCholesky(sigma: Float64Array, n: number, options: PivotedCholeskyOptions = {}): LowRankFactor {
  const residual = new Float64Array(n);
  let maxDiag = 0;
  for (let i = 0; i < n; i++) {
    residual[i] = sigma[i * n + i]!;
    maxDiag = Math.max(maxDiag, residual[i]!);
  }
  const tolerance = options.tolerance ?? n * Number.EPSILON * maxDiag;
  const columns = new Float64Array(n * n);
  const used = new Uint8Array(n);
  let rank = 0;
  for (; rank < n; rank++) {
    let pivot = -1;
    let best = tolerance;
    for (let i = 0; i < n; i++) {
      if (!used[i] && residual[i]! > best) {
        best = residual[i]!;
        pivot = i;
      }
    }
    if (pivot < 0) break;
    used[pivot] = 1;
    const col = columns.subarray(rank * n, rank * n + n);
    // col = (Σ[:, p] − Σ_{t<rank} l_t l_t[p]) / sqrt(residual[p])
    const prow = pivot * n;
    for (let i = 0; i < n; i++) col[i] = sigma[prow + i]!; // Σ is symmetric: row p = column p
    for (let t = 0; t < rank; t++) {
      const lt = columns.subarray(t * n, t * n + n);
      const c = lt[pivot]!;
      if (c === 0) continue;
      for (let i = 0; i < n; i++) col[i]! -= lt[i]! * c;
    }
    const root = Math.sqrt(best);
    for (let i = 0; i < n; i++) col[i] = used[i] && i !== pivot ? 0 : col[i]! / root;
    col[pivot] = root;
    for (let i = 0; i < n; i++) if (!used[i]) residual[i]! -= col[i]! * col[i]!;
    residual[pivot] = 0;
  }
  return { columns: columns.slice(0, rank * n), size: n, rank };
}
