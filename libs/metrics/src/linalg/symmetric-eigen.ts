/**
 * Eigenvalues (and optionally eigenvectors) of a real symmetric matrix, in float64:
 * Householder reduction to tridiagonal form, then the implicit QL iteration with Wilkinson-type
 * shifts (Golub & Van Loan, "Matrix Computations", §8.3; Wilkinson & Reinsch, Handbook vol. II).
 *
 * Written for d up to a few thousand (the FID trace term at d = 2048): the reduction touches
 * only the lower triangle, row-major, so every inner loop runs over contiguous memory.
 */

export class EigenError extends Error {
  override readonly name = 'EigenError';
  readonly retriable = false;
}

export interface SymmetricEigen {
  /** Eigenvalues in ascending order. */
  values: Float64Array;
  /** Eigenvectors as columns of a row-major n×n matrix (column j belongs to values[j]); only when asked. */
  vectors?: Float64Array;
}

/** Options for {@link symmetricEigen}. */
export interface SymmetricEigenOptions {
  /** Also compute the eigenvectors (costs about 3× the time); default false. */
  vectors?: boolean;
  /** Allow overwriting the input (saves one n×n copy); default false. */
  inPlace?: boolean;
}

/**
 * Eigen-decomposition of the symmetric n×n matrix `a` (row-major; only the lower triangle is read).
 */
export function symmetricEigen(a: Float64Array, n: number, options: SymmetricEigenOptions = {}): SymmetricEigen {
  if (a.length !== n * n) throw new EigenError(`symmetricEigen: expected ${n}×${n} = ${n * n} values, got ${a.length}`);
  const work = options.inPlace ? a : Float64Array.from(a);
  const { diag, off, householder } = tridiagonalize(work, n, options.vectors === true);
  let vectors: Float64Array | undefined;
  if (options.vectors) vectors = accumulateHouseholder(householder!, n);
  implicitQl(diag, off, n, vectors);
  // Sort ascending, carrying vectors along.
  const order = Array.from(diag.keys()).sort((i, j) => diag[i]! - diag[j]!);
  const values = Float64Array.from(order, (i) => diag[i]!);
  if (!vectors) return { values };
  const sorted = new Float64Array(n * n);
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) sorted[r * n + c] = vectors[r * n + order[c]!]!;
  return { values, vectors: sorted };
}

interface Tridiagonal {
  /** Diagonal, length n. */
  diag: Float64Array;
  /** off[i] couples diag[i] and diag[i+1]; off[n-1] = 0. */
  off: Float64Array;
  /** Householder vectors (row k holds v_k on indices k+1..n-1) and their β, when vectors are wanted. */
  householder?: { v: Float64Array; beta: Float64Array };
}

/**
 * Reduce the lower triangle of `a` (overwritten) to tridiagonal form T = Qᵀ A Q, with
 * Q = H_0 H_1 … H_{n-3} and H_k = I − β_k v_k v_kᵀ.
 */
function tridiagonalize(a: Float64Array, n: number, keep: boolean): Tridiagonal {
  const diag = new Float64Array(n);
  const off = new Float64Array(n);
  const vs = keep ? new Float64Array(n * n) : undefined;
  const betas = keep ? new Float64Array(n) : undefined;
  const v = new Float64Array(n);
  const p = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    const s = k + 1; // the trailing block is rows/cols s..n-1
    // x = A[s.., k]
    let scale = 0;
    for (let i = s; i < n; i++) scale = Math.max(scale, Math.abs(a[i * n + k]!));
    if (scale === 0) {
      diag[k] = a[k * n + k]!;
      off[k] = 0;
      continue;
    }
    let sigma = 0;
    for (let i = s; i < n; i++) {
      const x = a[i * n + k]! / scale;
      v[i] = x;
      sigma += x * x;
    }
    const x0 = v[s]!;
    const alpha = x0 >= 0 ? -Math.sqrt(sigma) : Math.sqrt(sigma); // v = x − αe₁, |v₀| = |x₀| + ‖x‖
    v[s] = x0 - alpha;
    const vtv = sigma - x0 * x0 + v[s]! * v[s]!;
    const beta = 2 / vtv;
    diag[k] = a[k * n + k]!;
    off[k] = alpha * scale;
    // p = β A_sub v, using the lower triangle of the trailing block.
    for (let i = s; i < n; i++) p[i] = 0;
    for (let i = s; i < n; i++) {
      const row = i * n;
      const vi = v[i]!;
      let acc = a[row + i]! * vi;
      for (let j = s; j < i; j++) {
        const aij = a[row + j]!;
        acc += aij * v[j]!;
        p[j]! += aij * vi;
      }
      p[i]! += acc;
    }
    let vtp = 0;
    for (let i = s; i < n; i++) {
      p[i]! *= beta;
      vtp += v[i]! * p[i]!;
    }
    // w = p − (β vᵀp / 2) v;  A_sub ← A_sub − v wᵀ − w vᵀ  (lower triangle only)
    const kk = (beta * vtp) / 2;
    for (let i = s; i < n; i++) p[i]! -= kk * v[i]!;
    for (let i = s; i < n; i++) {
      const row = i * n;
      const vi = v[i]!;
      const wi = p[i]!;
      for (let j = s; j <= i; j++) a[row + j]! -= vi * p[j]! + wi * v[j]!;
    }
    if (vs && betas) {
      for (let i = s; i < n; i++) vs[k * n + i] = v[i]!;
      betas[k] = beta;
    }
  }
  if (n >= 2) {
    diag[n - 2] = a[(n - 2) * n + n - 2]!;
    off[n - 2] = a[(n - 1) * n + n - 2]!;
  }
  if (n >= 1) diag[n - 1] = a[(n - 1) * n + n - 1]!;
  off[n - 1] = 0;
  const out: Tridiagonal = { diag, off };
  if (vs && betas) out.householder = { v: vs, beta: betas };
  return out;
}

/** Q = H_0 H_1 … H_{n-3}, built right to left (each H_k only touches rows/cols k+1..). */
function accumulateHouseholder(h: { v: Float64Array; beta: Float64Array }, n: number): Float64Array {
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  const t = new Float64Array(n);
  for (let k = n - 3; k >= 0; k--) {
    const beta = h.beta[k]!;
    if (beta === 0) continue;
    const s = k + 1;
    const vk = h.v.subarray(k * n, k * n + n);
    // Q ← H_k Q = Q − β v (vᵀ Q), restricted to rows s.. (columns s.. are the only non-identity ones)
    t.fill(0, s);
    for (let i = s; i < n; i++) {
      const vi = vk[i]!;
      if (vi === 0) continue;
      const row = i * n;
      for (let j = s; j < n; j++) t[j]! += vi * q[row + j]!;
    }
    for (let i = s; i < n; i++) {
      const f = beta * vk[i]!;
      if (f === 0) continue;
      const row = i * n;
      for (let j = s; j < n; j++) q[row + j]! -= f * t[j]!;
    }
  }
  return q;
}

/**
 * Implicit QL on the tridiagonal (diag, off); eigenvalues end in `diag`. When `z` is given
 * (row-major n×n, the tridiagonalising Q), its columns are rotated into the eigenvectors.
 */
function implicitQl(d: Float64Array, e: Float64Array, n: number, z: Float64Array | undefined): void {
  const eps = Number.EPSILON;
  for (let l = 0; l < n; l++) {
    let iterations = 0;
    for (;;) {
      // Find the first negligible off-diagonal element at or after l.
      let m = l;
      for (; m < n - 1; m++) {
        const dd = Math.abs(d[m]!) + Math.abs(d[m + 1]!);
        if (Math.abs(e[m]!) <= eps * dd) break;
      }
      if (m === l) break;
      if (++iterations > 60) throw new EigenError(`symmetricEigen: QL iteration did not converge for eigenvalue ${l} of ${n}`);
      // Shift from the leading 2×2 block.
      let g = (d[l + 1]! - d[l]!) / (2 * e[l]!);
      let r = Math.hypot(g, 1);
      g = d[m]! - d[l]! + e[l]! / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let p = 0;
      let i = m - 1;
      let deflated = false;
      for (; i >= l; i--) {
        const f = s * e[i]!;
        const b = c * e[i]!;
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          d[i + 1]! -= p;
          e[m] = 0;
          deflated = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1]! - p;
        r = (d[i]! - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
        if (z) {
          for (let k = 0; k < n; k++) {
            const row = k * n;
            const zf = z[row + i + 1]!;
            const zi = z[row + i]!;
            z[row + i + 1] = s * zi + c * zf;
            z[row + i] = c * zi - s * zf;
          }
        }
      }
      if (deflated) continue;
      d[l]! -= p;
      e[l] = g;
      e[m] = 0;
    }
  }
}
