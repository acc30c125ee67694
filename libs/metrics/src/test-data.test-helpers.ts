/** Seeded random matrices for property tests. */
import type { FeatureMatrix } from './features-matrix.ts';
import { createRng } from './random.ts';

export function gaussian(rows: number, cols: number, seed: number, shift = 0, scale = 1): FeatureMatrix {
  const rng = createRng(seed);
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = shift + scale * rng.normal();
  return { data, rows, cols };
}

/** Rows in a seeded random order. */
export function permuteRows(m: FeatureMatrix, seed: number): FeatureMatrix {
  const rng = createRng(seed);
  const order = Array.from({ length: m.rows }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const data = new Float64Array(m.data.length);
  order.forEach((src, dst) => data.set(m.data.subarray(src * m.cols, (src + 1) * m.cols), dst * m.cols));
  return { data, rows: m.rows, cols: m.cols };
}

/** A random symmetric PSD matrix of rank ≤ r (B Bᵀ with B n×r), row-major. */
export function randomPsd(n: number, r: number, seed: number): Float64Array {
  const b = gaussian(n, r, seed).data;
  const s = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let acc = 0;
    for (let k = 0; k < r; k++) acc += b[i * r + k]! * b[j * r + k]!;
    s[i * n + j] = acc;
  }
  return s;
}
