/**
 * Felzenszwalb & Huttenlocher's graph-based segmentation ("Efficient graph-based image
 * segmentation", IJCV 2004), step for step as scikit-image's `segmentation.felzenszwalb`, so the
 * segments equal its own (fixture test):
 *   1. smooth each channel with a Gaussian of σ (gaussian-filter.ts); `scale` is divided by 255;
 *   2. 8-connected grid edges, weighted by the Euclidean colour distance, in the order right,
 *      down, down-right, up-right, each in raster order; sorted by weight (stable);
 *   3. one pass over the sorted edges: merge two components when the edge weight is below both
 *      Int(C) + scale/|C| (computed in float32, as scikit-image's Cython does);
 *   4. a second pass merging every component smaller than `minSize` across its edges;
 *   5. labels 0, 1, … in order of each component's first pixel in raster order.
 */
import { check } from '../errors.ts';
import { gaussianFilter } from './gaussian-filter.ts';

export interface FelzenszwalbOptions {
  /** Observation scale: higher means larger segments. */
  scale: number;
  /** Gaussian pre-smoothing σ (0 = none). */
  sigma: number;
  /** Components smaller than this are merged into a neighbour. */
  minSize: number;
}

/** A segmentation: one label per pixel (row-major), labels 0..count−1. */
export interface Segmentation {
  labels: Int32Array;
  count: number;
  height: number;
  width: number;
}

/** Union–find with the root always the smaller index (scikit-image's join_trees). */
function findRoot(forest: Int32Array, n: number): number {
  let root = n;
  while (forest[root]! < root) root = forest[root]!;
  // Path compression: point every node on the path at the root.
  while (forest[n]! < n) {
    const next = forest[n]!;
    forest[n] = root;
    n = next;
  }
  return root;
}

function join(forest: Int32Array, a: number, b: number): number {
  const ra = findRoot(forest, a);
  const rb = findRoot(forest, b);
  const root = Math.min(ra, rb);
  forest[ra] = root;
  forest[rb] = root;
  return root;
}

/**
 * Indices that sort `values` ascending, equal values by index: the native numeric sort of the
 * values (much faster than a comparator), then each index placed at the next free slot of its
 * value's first position (binary search).
 */
function stableArgsort(values: Float64Array): Int32Array {
  const n = values.length;
  const sorted = Float64Array.from(values).sort();
  const placed = new Int32Array(n);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    order[lo + placed[lo]!++] = i;
  }
  return order;
}

/** image: float values [height, width, channels], row-major (any range; scikit-image uses [0, 1] for uint8 input). */
export function felzenszwalb(image: Float64Array | Float32Array, height: number, width: number, channels: number, options: FelzenszwalbOptions): Segmentation {
  check(Number.isInteger(height) && Number.isInteger(width) && height > 0 && width > 0, 'felzenszwalb', () => `height and width must be positive integers, got ${height}×${width}`);
  check(image.length === height * width * channels, 'felzenszwalb', () => `expected ${height}×${width}×${channels} = ${height * width * channels} values, got ${image.length}`);
  check(options.scale > 0 && options.sigma >= 0 && options.minSize >= 0, 'felzenszwalb', () => `scale must be > 0, sigma and minSize ≥ 0, got ${JSON.stringify(options)}`);
  const scale = options.scale / 255;
  const smooth = gaussianFilter(Float64Array.from(image), height, width, channels, options.sigma);

  // Edges: right, down, down-right, up-right (each raster order), as (a, b) pixel pairs.
  const n = height * width;
  const counts = [height * (width - 1), (height - 1) * width, (height - 1) * (width - 1), (height - 1) * (width - 1)];
  const m = counts.reduce((s, c) => s + c, 0);
  const ea = new Int32Array(m);
  const eb = new Int32Array(m);
  const cost = new Float64Array(m);
  let e = 0;
  const add = (a: number, b: number) => {
    let s = 0;
    for (let c = 0; c < channels; c++) {
      const d = smooth[a * channels + c]! - smooth[b * channels + c]!;
      s += d * d;
    }
    ea[e] = a;
    eb[e] = b;
    cost[e++] = Math.sqrt(s);
  };
  for (let y = 0; y < height; y++) for (let x = 1; x < width; x++) add(y * width + x, y * width + x - 1);
  for (let y = 1; y < height; y++) for (let x = 0; x < width; x++) add(y * width + x, (y - 1) * width + x);
  for (let y = 1; y < height; y++) for (let x = 1; x < width; x++) add(y * width + x, (y - 1) * width + x - 1);
  for (let y = 0; y < height - 1; y++) for (let x = 1; x < width; x++) add(y * width + x, (y + 1) * width + x - 1);
  const order = stableArgsort(cost);

  // Greedy merging over sorted edges.
  const forest = Int32Array.from({ length: n }, (_, i) => i);
  const size = new Int32Array(n).fill(1);
  const internal = new Float64Array(n);
  for (let t = 0; t < m; t++) {
    const edge = order[t]!;
    const r0 = findRoot(forest, ea[edge]!);
    const r1 = findRoot(forest, eb[edge]!);
    if (r0 === r1) continue;
    const inner0 = Math.fround(internal[r0]! + scale / size[r0]!);
    const inner1 = Math.fround(internal[r1]! + scale / size[r1]!);
    if (cost[edge]! < Math.min(inner0, inner1)) {
      const root = join(forest, r0, r1);
      size[root] = size[r0]! + size[r1]!;
      internal[root] = cost[edge]!;
    }
  }
  // Merge components below the minimum size.
  for (let t = 0; t < m; t++) {
    const edge = order[t]!;
    const r0 = findRoot(forest, ea[edge]!);
    const r1 = findRoot(forest, eb[edge]!);
    if (r0 === r1) continue;
    if (size[r0]! < options.minSize || size[r1]! < options.minSize) {
      const root = join(forest, r0, r1);
      size[root] = size[r0]! + size[r1]!;
    }
  }
  // Labels by first pixel (the root is the smallest index of its component).
  const labels = new Int32Array(n);
  const labelOf = new Int32Array(n).fill(-1);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const r = findRoot(forest, i);
    if (labelOf[r] === -1) labelOf[r] = count++;
    labels[i] = labelOf[r]!;
  }
  return { labels, count, height, width };
}
