/**
 * Pairwise squared Euclidean distances in blocks: no n×m matrix is ever held, yet every reduction
 * (k smallest per row, nearest neighbour, ball counts) equals what the full matrix would give,
 * because each entry is computed by the same arithmetic whatever the blocking
 * (`float64`: Σ_c (x_c − y_c)² in column order; `tf`: ‖x‖² + ‖y‖² − 2x·y in float32).
 *
 * Comparisons are made on squared distances (monotone in the distance, so the same decisions).
 */
import type { Compute } from './compute.ts';
import { FLOAT64 } from './compute.ts';
import { DEFAULTS } from './defaults.ts';
import type { FeatureMatrix } from './features-matrix.ts';

/** Block edge (rows and columns) of the distance tiles. */
export const DISTANCE_BLOCK: number = DEFAULTS.distanceBlock;

/** visit(block, rowStart, colStart, rows, cols): `block` is rows×cols row-major squared distances. */
export type BlockVisitor = (block: ArrayLike<number>, rowStart: number, colStart: number, rows: number, cols: number) => void;

function toFloat64(m: FeatureMatrix): Float64Array {
  return m.data instanceof Float64Array ? m.data : Float64Array.from(m.data);
}

/** Squared distances of x rows i0.. (rows) to y rows j0.. (cols), float64, into `out`. */
function blockFloat64(x: Float64Array, y: Float64Array, d: number, i0: number, rows: number, j0: number, cols: number, out: Float64Array): void {
  for (let i = 0; i < rows; i++) {
    const xi = (i0 + i) * d;
    let j = 0;
    for (; j + 2 <= cols; j += 2) {
      const y0 = (j0 + j) * d, y1 = y0 + d;
      let s0 = 0, s1 = 0;
      for (let c = 0; c < d; c++) {
        const xv = x[xi + c]!;
        const a = xv - y[y0 + c]!;
        const b = xv - y[y1 + c]!;
        s0 += a * a;
        s1 += b * b;
      }
      out[i * cols + j] = s0;
      out[i * cols + j + 1] = s1;
    }
    for (; j < cols; j++) {
      const y0 = (j0 + j) * d;
      let s = 0;
      for (let c = 0; c < d; c++) {
        const a = x[xi + c]! - y[y0 + c]!;
        s += a * a;
      }
      out[i * cols + j] = s;
    }
  }
}

/**
 * Visit every block of squared distances between the rows of x and the rows of y. When x and y are
 * the same matrix object, the diagonal (a point to itself) is exactly 0 in both modes.
 */
export function forEachDistanceBlock(x: FeatureMatrix, y: FeatureMatrix, visit: BlockVisitor, compute: Compute = FLOAT64, block = DISTANCE_BLOCK): void {
  const same = x === y;
  const d = x.cols;
  if (compute.mode === 'float64') {
    const xd = toFloat64(x);
    const yd = same ? xd : toFloat64(y);
    const out = new Float64Array(block * block);
    for (let i0 = 0; i0 < x.rows; i0 += block) {
      const rows = Math.min(block, x.rows - i0);
      for (let j0 = 0; j0 < y.rows; j0 += block) {
        const cols = Math.min(block, y.rows - j0);
        const view = out.subarray(0, rows * cols);
        blockFloat64(xd, yd, d, i0, rows, j0, cols, view);
        visit(view, i0, j0, rows, cols);
      }
    }
    return;
  }
  const tf = compute.tf;
  if (!tf) throw new Error('forEachDistanceBlock: compute mode tf without a tfjs instance; use createCompute("tf")');
  const xt = tf.tensor2d(x.data instanceof Float32Array ? x.data : Float32Array.from(x.data), [x.rows, d]);
  const yt = same ? xt : tf.tensor2d(y.data instanceof Float32Array ? y.data : Float32Array.from(y.data), [y.rows, d]);
  const xn = tf.sum(tf.square(xt), 1);
  const yn = same ? xn : tf.sum(tf.square(yt), 1);
  try {
    for (let i0 = 0; i0 < x.rows; i0 += block) {
      const rows = Math.min(block, x.rows - i0);
      const xb = tf.slice(xt, [i0, 0], [rows, d]);
      const xnb = tf.reshape(tf.slice(xn, [i0], [rows]), [rows, 1]);
      for (let j0 = 0; j0 < y.rows; j0 += block) {
        const cols = Math.min(block, y.rows - j0);
        const values = tf.tidy(() => {
          const yb = tf.slice(yt, [j0, 0], [cols, d]);
          const ynb = tf.reshape(tf.slice(yn, [j0], [cols]), [1, cols]);
          const dots = tf.matMul(xb, yb, false, true);
          return tf.relu(tf.sub(tf.add(xnb, ynb), tf.mul(dots, 2)));
        });
        const data = values.dataSync() as Float32Array;
        values.dispose();
        if (same && i0 === j0) for (let i = 0; i < rows; i++) data[i * cols + i] = 0;
        visit(data, i0, j0, rows, cols);
      }
      xb.dispose();
      xnb.dispose();
    }
  } finally {
    xt.dispose();
    xn.dispose();
    if (!same) {
      yt.dispose();
      yn.dispose();
    }
  }
}

/** The full rows×cols squared-distance matrix (for tests and small inputs only). */
export function pairwiseSquaredDistances(x: FeatureMatrix, y: FeatureMatrix, compute: Compute = FLOAT64): Float64Array {
  const out = new Float64Array(x.rows * y.rows);
  forEachDistanceBlock(x, y, (b, i0, j0, rows, cols) => {
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[(i0 + i) * y.rows + j0 + j] = b[i * cols + j]!;
  }, compute, Math.max(x.rows, y.rows, 1));
  return out;
}

/**
 * The `count` smallest squared distances from each row of x to the rows of `set`
 * (self included when set === x), ascending: row i's values at [i·count, (i+1)·count).
 * Kept incrementally: an insertion into a sorted list of `count` per row.
 */
export function smallestDistances(x: FeatureMatrix, set: FeatureMatrix, count: number, compute: Compute = FLOAT64, block = DISTANCE_BLOCK): Float64Array {
  if (count > set.rows) throw new RangeError(`smallestDistances: asked for ${count} smallest of ${set.rows}`);
  const best = new Float64Array(x.rows * count).fill(Infinity);
  forEachDistanceBlock(x, set, (b, i0, _j0, rows, cols) => {
    for (let i = 0; i < rows; i++) {
      const base = (i0 + i) * count;
      let worst = best[base + count - 1]!;
      const off = i * cols;
      for (let j = 0; j < cols; j++) {
        const v = b[off + j]!;
        if (v < worst) {
          let p = base + count - 1;
          while (p > base && best[p - 1]! > v) {
            best[p] = best[p - 1]!;
            p--;
          }
          best[p] = v;
          worst = best[base + count - 1]!;
        }
      }
    }
  }, compute, block);
  return best;
}

/**
 * The squared distance to the k-th nearest *other* point of the same set, for every row: the
 * (k+1)-th smallest with the point itself included (as NVlabs' `kthvalue(k+1)` and prdc's
 * `np.partition(d, k)[:, k]` do; a duplicate of the point counts as a neighbour at distance 0).
 */
export function kthNeighbourRadii(set: FeatureMatrix, k: number, compute: Compute = FLOAT64, block = DISTANCE_BLOCK): Float64Array {
  const s = smallestDistances(set, set, k + 1, compute, block);
  const out = new Float64Array(set.rows);
  for (let i = 0; i < set.rows; i++) out[i] = s[i * (k + 1) + k]!;
  return out;
}

/** How one set of balls (centre = a point of one set, squared radius per centre) tests the other set. */
export interface BallTest {
  /** Squared radius per centre. */
  radii2: Float64Array;
  /** true: inside when d² ≤ r² (NVlabs precision/recall); false: d² < r² (prdc density/coverage). */
  inclusive: boolean;
}

export interface CrossNeighbours {
  /** Per row of `a`: squared distance to its nearest row of `b`, and that row's index (first on ties). */
  aNearest: { d2: Float64Array; index: Int32Array };
  /** Per row of `b`: the same towards `a`. */
  bNearest: { d2: Float64Array; index: Int32Array };
  /** Per test on balls around `b`'s rows: for each row of `a`, how many of those balls contain it. */
  aInBBalls: Int32Array[];
  /** Per test on balls around `a`'s rows: for each row of `b`, how many of those balls contain it. */
  bInABalls: Int32Array[];
}

/**
 * One pass over the a×b distances that gathers every cross-set reduction the metrics need.
 * `ballsOnB` are balls centred on b's rows (radii per b row); `ballsOnA` on a's rows.
 */
export function crossNeighbours(a: FeatureMatrix, b: FeatureMatrix, ballsOnB: BallTest[], ballsOnA: BallTest[], compute: Compute = FLOAT64, block = DISTANCE_BLOCK): CrossNeighbours {
  const aD = new Float64Array(a.rows).fill(Infinity);
  const aI = new Int32Array(a.rows).fill(-1);
  const bD = new Float64Array(b.rows).fill(Infinity);
  const bI = new Int32Array(b.rows).fill(-1);
  const aIn = ballsOnB.map(() => new Int32Array(a.rows));
  const bIn = ballsOnA.map(() => new Int32Array(b.rows));
  forEachDistanceBlock(a, b, (blk, i0, j0, rows, cols) => {
    for (let i = 0; i < rows; i++) {
      const ai = i0 + i;
      const off = i * cols;
      let best = aD[ai]!;
      let bestIdx = aI[ai]!;
      for (let j = 0; j < cols; j++) {
        const v = blk[off + j]!;
        const bj = j0 + j;
        if (v < best) {
          best = v;
          bestIdx = bj;
        }
        if (v < bD[bj]!) {
          bD[bj] = v;
          bI[bj] = ai;
        }
      }
      aD[ai] = best;
      aI[ai] = bestIdx;
      for (let t = 0; t < ballsOnB.length; t++) {
        const { radii2, inclusive } = ballsOnB[t]!;
        let count = 0;
        if (inclusive) {
          for (let j = 0; j < cols; j++) if (blk[off + j]! <= radii2[j0 + j]!) count++;
        } else {
          for (let j = 0; j < cols; j++) if (blk[off + j]! < radii2[j0 + j]!) count++;
        }
        aIn[t]![ai]! += count;
      }
      for (let t = 0; t < ballsOnA.length; t++) {
        const { radii2, inclusive } = ballsOnA[t]!;
        const r = radii2[ai]!;
        const counts = bIn[t]!;
        if (inclusive) {
          for (let j = 0; j < cols; j++) if (blk[off + j]! <= r) counts[j0 + j]!++;
        } else {
          for (let j = 0; j < cols; j++) if (blk[off + j]! < r) counts[j0 + j]!++;
        }
      }
    }
  }, compute, block);
  return { aNearest: { d2: aD, index: aI }, bNearest: { d2: bD, index: bI }, aInBBalls: aIn, bInABalls: bIn };
}
