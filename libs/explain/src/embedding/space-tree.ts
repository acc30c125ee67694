/**
 * The Barnes–Hut space-partitioning tree of t-SNE's repulsive forces in 2-D (quadtree) or 3-D
 * (octree), in flat typed arrays: each cell holds its centre of mass, point count and half-width;
 * a leaf keeps its points (several only when they coincide at the depth limit). A cell is
 * summarised when its width / distance to its centre of mass < θ (van der Maaten 2014, §4.2).
 */

const MAX_DEPTH = 32;

export class SpaceTree {
  private readonly dims: number;
  private readonly fanout: number;
  /** Per cell: centre of mass [dims], count, half-width, first child (−1 for a leaf), leaf points start/end in `order`. */
  private com: Float64Array;
  private count: Int32Array;
  private half: Float64Array;
  private child: Int32Array;
  private leafStart: Int32Array;
  private leafEnd: Int32Array;
  private cells = 0;
  /** Point indices, grouped by leaf. */
  private readonly order: Int32Array;
  private readonly scratch: Int32Array;

  constructor(
    private readonly y: Float64Array,
    n: number,
    dims: 2 | 3,
  ) {
    this.dims = dims;
    this.fanout = 1 << dims;
    const capacity = Math.max(16, 4 * n);
    this.com = new Float64Array(capacity * dims);
    this.count = new Int32Array(capacity);
    this.half = new Float64Array(capacity);
    this.child = new Int32Array(capacity);
    this.leafStart = new Int32Array(capacity);
    this.leafEnd = new Int32Array(capacity);
    this.order = Int32Array.from({ length: n }, (_, i) => i);
    this.scratch = new Int32Array(n);
    const lo = new Float64Array(dims).fill(Infinity);
    const hi = new Float64Array(dims).fill(-Infinity);
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < dims; a++) {
        lo[a] = Math.min(lo[a]!, y[i * dims + a]!);
        hi[a] = Math.max(hi[a]!, y[i * dims + a]!);
      }
    }
    const centre = new Float64Array(dims);
    let half = 0;
    for (let a = 0; a < dims; a++) {
      centre[a] = (lo[a]! + hi[a]!) / 2;
      half = Math.max(half, (hi[a]! - lo[a]!) / 2);
    }
    this.build(this.alloc(1), 0, n, centre, half * (1 + 1e-5) + 1e-12, 0);
  }

  /** Reserve `k` consecutive cells; returns the first. */
  private alloc(k: number): number {
    while (this.cells + k > this.count.length) {
      const grow = <T extends Float64Array | Int32Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.com = grow(this.com);
      this.count = grow(this.count);
      this.half = grow(this.half);
      this.child = grow(this.child);
      this.leafStart = grow(this.leafStart);
      this.leafEnd = grow(this.leafEnd);
    }
    const first = this.cells;
    this.cells += k;
    return first;
  }

  /** Fill the (reserved) cell over order[start, end) with the given centre and half-width. */
  private build(cell: number, start: number, end: number, centre: Float64Array, half: number, depth: number): void {
    const d = this.dims;
    const y = this.y;
    this.count[cell] = end - start;
    this.half[cell] = half;
    this.child[cell] = -1;
    this.leafStart[cell] = start;
    this.leafEnd[cell] = end;
    if (end === start) return;
    for (let a = 0; a < d; a++) {
      let s = 0;
      for (let t = start; t < end; t++) s += y[this.order[t]! * d + a]!;
      this.com[cell * d + a] = s / (end - start);
    }
    if (end - start === 1 || depth >= MAX_DEPTH) return;
    // Partition the points by orthant (bucket sort through scratch).
    const orthant = (p: number) => {
      let o = 0;
      for (let a = 0; a < d; a++) if (y[p * d + a]! >= centre[a]!) o |= 1 << a;
      return o;
    };
    const offsets = new Int32Array(this.fanout + 1);
    for (let t = start; t < end; t++) offsets[orthant(this.order[t]!) + 1]!++;
    for (let o = 0; o < this.fanout; o++) offsets[o + 1]! += offsets[o]!;
    const fill = offsets.slice(0, this.fanout);
    for (let t = start; t < end; t++) {
      const p = this.order[t]!;
      this.scratch[start + fill[orthant(p)]!++] = p;
    }
    this.order.set(this.scratch.subarray(start, end), start);
    // Children are consecutive cells: child o = first + o (empty orthants are count-0 cells).
    const first = this.alloc(this.fanout);
    this.child[cell] = first;
    const sub = new Float64Array(d);
    for (let o = 0; o < this.fanout; o++) {
      for (let a = 0; a < d; a++) sub[a] = centre[a]! + ((o >> a) & 1 ? half / 2 : -half / 2);
      this.build(first + o, start + offsets[o]!, start + offsets[o + 1]!, sub, half / 2, depth + 1);
    }
  }

  /**
   * Repulsive force on point i (unnormalised, Σ q²(y_i − y_j)) into `force`, and its share of
   * Z = Σ_{j≠i} q_ij with q = 1/(1 + ‖y_i − y_j‖²). Written out for 3-D (the 2-D case has a zero
   * third coordinate) because this loop is where t-SNE spends its time.
   */
  repulsion(i: number, theta: number, force: Float64Array, stack: Int32Array): number {
    const d = this.dims;
    const three = d === 3;
    const y = this.y;
    const com = this.com;
    const count = this.count;
    const child = this.child;
    const half = this.half;
    const order = this.order;
    const fanout = this.fanout;
    const t2 = theta * theta;
    const yi0 = y[i * d]!;
    const yi1 = y[i * d + 1]!;
    const yi2 = three ? y[i * d + 2]! : 0;
    let f0 = 0;
    let f1 = 0;
    let f2 = 0;
    let z = 0;
    let top = 0;
    stack[top++] = 0;
    while (top > 0) {
      const cell = stack[--top]!;
      const first = child[cell]!;
      if (first < 0) {
        for (let t = this.leafStart[cell]!; t < this.leafEnd[cell]!; t++) {
          const j = order[t]!;
          if (j === i) continue;
          const dx = yi0 - y[j * d]!;
          const dy = yi1 - y[j * d + 1]!;
          const dz = three ? yi2 - y[j * d + 2]! : 0;
          const q = 1 / (1 + dx * dx + dy * dy + dz * dz);
          z += q;
          const q2 = q * q;
          f0 += q2 * dx;
          f1 += q2 * dy;
          f2 += q2 * dz;
        }
        continue;
      }
      const c = cell * d;
      const dx = yi0 - com[c]!;
      const dy = yi1 - com[c + 1]!;
      const dz = three ? yi2 - com[c + 2]! : 0;
      const d2 = dx * dx + dy * dy + dz * dz;
      const width = 2 * half[cell]!;
      if (width * width < t2 * d2) {
        const cnt = count[cell]!;
        const q = 1 / (1 + d2);
        z += cnt * q;
        const q2 = cnt * q * q;
        f0 += q2 * dx;
        f1 += q2 * dy;
        f2 += q2 * dz;
      } else {
        for (let o = 0; o < fanout; o++) if (count[first + o]! > 0) stack[top++] = first + o;
      }
    }
    force[0] = f0;
    force[1] = f1;
    if (three) force[2] = f2;
    return z;
  }

  /** Stack size enough for any traversal. */
  stackSize(): number {
    return this.cells + this.fanout;
  }
}
