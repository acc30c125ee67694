/**
 * t-SNE's input similarities (van der Maaten 2014, "Accelerating t-SNE using tree-based
 * algorithms", §4.1): the k = ⌊3·perplexity⌋ nearest neighbours of each point (exact, squared
 * Euclidean), a Gaussian per point whose precision is found by bisection so that the conditional
 * distribution's entropy equals ln(perplexity), then P = (P + Pᵀ) / 2N, kept sparse (CSR).
 */
import { check } from '../errors.ts';
import type { Rows } from './matrix.ts';

/** A sparse symmetric matrix in compressed-row form. */
export interface SparseP {
  /** rowStart[i]..rowStart[i+1] index cols/values of row i. */
  rowStart: Int32Array;
  cols: Int32Array;
  values: Float64Array;
  n: number;
}

/** The k nearest neighbours of every row (excluding itself), by squared Euclidean distance, ascending. */
export function nearestNeighbours(x: Rows, k: number): { index: Int32Array; distance2: Float64Array } {
  const { rows: n, cols: d } = x;
  check(k >= 1 && k < n, 'nearestNeighbours', () => `k must be in [1, ${n - 1}], got ${k}`);
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += x.data[i * d + j]! * x.data[i * d + j]!;
    norms[i] = s;
  }
  const index = new Int32Array(n * k);
  const distance2 = new Float64Array(n * k);
  const row = new Float64Array(n);
  const heapD = new Float64Array(k);
  const heapI = new Int32Array(k);
  for (let i = 0; i < n; i++) {
    const oi = i * d;
    for (let m = 0; m < n; m++) {
      if (m === i) {
        row[m] = Infinity;
        continue;
      }
      const om = m * d;
      let dot = 0;
      for (let j = 0; j < d; j++) dot += x.data[oi + j]! * x.data[om + j]!;
      row[m] = Math.max(0, norms[i]! + norms[m]! - 2 * dot);
    }
    // Max-heap of the k smallest.
    let size = 0;
    for (let m = 0; m < n; m++) {
      const v = row[m]!;
      if (size < k) {
        let c = size++;
        while (c > 0) {
          const p = (c - 1) >> 1;
          if (heapD[p]! >= v) break;
          heapD[c] = heapD[p]!;
          heapI[c] = heapI[p]!;
          c = p;
        }
        heapD[c] = v;
        heapI[c] = m;
      } else if (v < heapD[0]!) {
        let c = 0;
        for (;;) {
          const l = 2 * c + 1;
          if (l >= k) break;
          const r = l + 1;
          const big = r < k && heapD[r]! > heapD[l]! ? r : l;
          if (heapD[big]! <= v) break;
          heapD[c] = heapD[big]!;
          heapI[c] = heapI[big]!;
          c = big;
        }
        heapD[c] = v;
        heapI[c] = m;
      }
    }
    const order = Array.from({ length: k }, (_, t) => t).sort((a, b) => heapD[a]! - heapD[b]! || heapI[a]! - heapI[b]!);
    order.forEach((t, r) => {
      index[i * k + r] = heapI[t]!;
      distance2[i * k + r] = heapD[t]!;
    });
  }
  return { index, distance2 };
}

/** Conditional p_{j|i} over each row's neighbours, with entropy ln(perplexity) (bisection on the precision β). */
export function conditionalP(distance2: Float64Array, n: number, k: number, perplexity: number): Float64Array {
  const target = Math.log(perplexity);
  const p = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    const o = i * k;
    let beta = 1;
    let lo = -Infinity;
    let hi = Infinity;
    for (let iter = 0; iter < 200; iter++) {
      // Shift by the smallest distance for numerical range; it cancels in the normalisation.
      const d0 = distance2[o]!;
      let sum = 0;
      let dsum = 0;
      for (let j = 0; j < k; j++) {
        const v = Math.exp(-beta * (distance2[o + j]! - d0));
        p[o + j] = v;
        sum += v;
        dsum += (distance2[o + j]! - d0) * v;
      }
      const entropy = Math.log(sum) + (beta * dsum) / sum;
      for (let j = 0; j < k; j++) p[o + j]! /= sum;
      const diff = entropy - target;
      if (Math.abs(diff) < 1e-5) break;
      if (diff > 0) {
        lo = beta;
        beta = hi === Infinity ? beta * 2 : (beta + hi) / 2;
      } else {
        hi = beta;
        beta = lo === -Infinity ? beta / 2 : (beta + lo) / 2;
      }
    }
  }
  return p;
}

/** P = (P_cond + P_condᵀ) / 2N as a symmetric sparse matrix (rows sorted by column). */
export function symmetrize(index: Int32Array, pCond: Float64Array, n: number, k: number): SparseP {
  const maps: Array<Map<number, number>> = Array.from({ length: n }, () => new Map());
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < k; t++) {
      const j = index[i * k + t]!;
      const v = pCond[i * k + t]! / (2 * n);
      maps[i]!.set(j, (maps[i]!.get(j) ?? 0) + v);
      maps[j]!.set(i, (maps[j]!.get(i) ?? 0) + v);
    }
  }
  const rowStart = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) rowStart[i + 1] = rowStart[i]! + maps[i]!.size;
  const cols = new Int32Array(rowStart[n]!);
  const values = new Float64Array(rowStart[n]!);
  for (let i = 0; i < n; i++) {
    const entries = [...maps[i]!.entries()].sort((a, b) => a[0] - b[0]);
    entries.forEach(([j, v], t) => {
      cols[rowStart[i]! + t] = j;
      values[rowStart[i]! + t] = v;
    });
  }
  return { rowStart, cols, values, n };
}
